// One error handler: every failure becomes {statusCode, code, error, message} with a code
// from src/errors.ts, one log line per error, and never a stack or an internal message.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import { declaredErrorCodes, type ErrorResponse } from './error-schema.js';

export function render(error: AppError): ErrorResponse {
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
  429: 'RATE_LIMITED',
};

export interface SchemaIssue {
  path: ReadonlyArray<PropertyKey>;
  message: string | undefined;
  /** Unknown fields, for zod's `unrecognized_keys`. */
  unknownKeys?: readonly string[];
}

/** One 400 naming the first field at fault and listing every problem. */
export function validationError(issues: readonly SchemaIssue[], where = 'body'): AppError {
  const described = issues.map((issue) => {
    const segments = issue.path.map(String);
    if (issue.unknownKeys?.length) {
      const names = issue.unknownKeys.map((name) => [...segments, name].join('.'));
      return { field: names[0] as string, text: `unknown field${names.length > 1 ? 's' : ''} ${names.join(', ')}` };
    }
    const field = segments.join('.') || where;
    return { field, text: `${field}: ${issue.message ?? 'is invalid'}` };
  });
  return new AppError('VALIDATION_FAILED', described.map((issue) => issue.text).join('; '), {
    field: described[0]?.field,
  });
}

export function toAppError(error: FastifyError | Error): AppError {
  if (isAppError(error)) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    return validationError(
      error.validation.map((issue) => ({
        path: issue.instancePath.split('/').filter(Boolean),
        message: issue.message,
        unknownKeys: issue.keyword === 'unrecognized_keys' ? (issue.params.keys as string[]) : undefined,
      })),
      error.validationContext,
    );
  }
  const statusCode = (error as FastifyError).statusCode;
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // Fastify's client-error messages are written for callers and hold no internals.
    return new AppError(FRAMEWORK_CODES[statusCode] ?? 'VALIDATION_FAILED', error.message);
  }
  return new AppError('INTERNAL_ERROR', 'internal error', { cause: error });
}

/** Logged when a route answers with a code its OpenAPI responses do not list (the tests fail on it). */
export const UNDECLARED_ERROR_MESSAGE = 'the route answered with an error code its OpenAPI responses do not declare';

/**
 * Clients generated from the document know a route's errors by the codes it declares
 * (errorResponses in src/http/error-schema.ts): one it did not declare is a bug in the
 * declaration. The caller still gets the code; the log says which route missed it.
 */
function checkDeclared(request: FastifyRequest, error: AppError): void {
  const responses = request.routeOptions.schema?.response as Record<string, unknown> | undefined;
  // No route (404), or a route that declares no responses: there is no promise to break.
  if (responses === undefined) return;
  if (declaredErrorCodes(responses[error.statusCode])?.has(error.code)) return;
  request.log.warn(
    { code: error.code, statusCode: error.statusCode, route: `${request.method} ${request.routeOptions.url}` },
    UNDECLARED_ERROR_MESSAGE,
  );
}

async function errorHandlerPlugin(app: FastifyInstance): Promise<void> {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const appError = toAppError(error);
    checkDeclared(request, appError);
    if (appError.statusCode >= 500) {
      request.log.error(
        { err: appError.cause ?? error, code: appError.code, caller: request.caller?.id },
        appError.message,
      );
    } else {
      request.log.info(
        { code: appError.code, statusCode: appError.statusCode, caller: request.caller?.id },
        appError.message,
      );
    }
    if (appError.retryAfterSeconds !== undefined) reply.header('retry-after', appError.retryAfterSeconds);
    if (appError.statusCode === 401) {
      // RFC 6750: no error attribute when the request carried no credentials at all.
      const attribute = appError.code === 'AUTH_REQUIRED' ? '' : ', error="invalid_token"';
      reply.header('www-authenticate', `Bearer realm="s3-presign"${attribute}`);
    }
    // 401, 403 and 429 are refusals of access: audited (the trail ignores other statuses). An
    // app composed without the audit plugin (a test's partial app) has no trail to write to.
    if (app.hasDecorator('audit')) app.audit.refusal(request, appError);
    return reply.status(appError.statusCode).send(render(appError));
  });

  app.setNotFoundHandler((request, reply) => {
    const error = new AppError('NOT_FOUND', `route ${request.method} ${request.url.split('?')[0]} does not exist`);
    return reply.status(404).send(render(error));
  });
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request: a request that took longer
 * than HTTP_REQUEST_TIMEOUT_MS (slow loris), headers too large, bytes that are not HTTP. Answered
 * in the service's error shape, then the connection is closed. Logged without the error object:
 * Node attaches the raw request bytes to it (`rawPacket`), credentials included.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  // A reset connection, or one already gone: there is no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new AppError('REQUEST_TIMEOUT', 'the request was not received in time')
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? new AppError(
            'HEADERS_TOO_LARGE',
            "the request line and headers are larger than Node's 16 KiB: send fewer or shorter headers, or a shorter query (fewer parts per batch)",
          )
        : new AppError('MALFORMED_REQUEST', 'the request is not valid HTTP/1.1');
  this.log.debug({ code: appError.code, parserError: error.code }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(render(appError));
    socket.write(
      `HTTP/1.1 ${appError.statusCode} ${STATUS_CODES[appError.statusCode]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

export const errorHandler = fp(errorHandlerPlugin, { name: 'error-handler', fastify: '5.x' });
