// One error handler: every failure becomes {statusCode, code, error, message} with a code
// from src/errors.ts, one log line per error, and never a stack or an internal message.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { STATUS_CODES } from 'node:http';
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import type { ErrorResponse } from './error-schema.js';

function render(error: AppError): ErrorResponse {
  return {
    statusCode: error.statusCode,
    code: error.code,
    error: STATUS_CODES[error.statusCode] ?? 'Error',
    message: error.message,
    ...(error.field ? { field: error.field } : {}),
  };
}

/** Fastify's own client errors (bad JSON, wrong media type, oversized body) by status. */
const FRAMEWORK_CODES: Readonly<Record<number, ErrorCode>> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

export function toAppError(error: FastifyError | Error): AppError {
  if (isAppError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => {
      const segments = issue.instancePath.split('/').filter(Boolean);
      const unknown = issue.keyword === 'unrecognized_keys' ? (issue.params.keys as string[] | undefined) : undefined;
      if (unknown?.length) {
        const names = unknown.map((name) => [...segments, name].join('.'));
        return { path: names[0] as string, message: `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}` };
      }
      return { path: segments.join('.') || error.validationContext || 'body', message: issue.message ?? 'is invalid' };
    });
    const first = issues[0];
    const describe = (issue: { path: string; message: string }) =>
      issue.message.startsWith('unknown field') ? issue.message : `${issue.path}: ${issue.message}`;
    return new AppError('VALIDATION_FAILED', issues.map(describe).join('; '), {
      field: first?.path,
    });
  }
  const statusCode = (error as FastifyError).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Fastify's client-error messages are written for callers and hold no internals.
    return new AppError(FRAMEWORK_CODES[statusCode] ?? 'VALIDATION_FAILED', error.message);
  }
  return new AppError('INTERNAL_ERROR', 'internal error', { cause: error });
}

async function errorHandlerPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error);
    if (appError.statusCode >= 500) {
      request.log.error({ err: appError.cause ?? error, code: appError.code }, appError.message);
    } else {
      request.log.info({ code: appError.code, statusCode: appError.statusCode }, appError.message);
    }
    return reply.status(appError.statusCode).send(render(appError));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('NOT_FOUND', `route ${request.method} ${request.url.split('?')[0]} does not exist`);
    return reply.status(404).send(render(error));
  });
}

export const errorHandler = fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' });
