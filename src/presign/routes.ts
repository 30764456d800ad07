import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../errors.js';
import { errorResponses } from '../http/error-schema.js';
import type { PresignRequest } from './presigner.js';
import { presignRequestSchema, presignResponseSchema, type PresignRequestBody } from './schemas.js';

export const presignRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/presign',
    {
      schema: {
        summary: 'Mint one presigned GET or PUT URL',
        description:
          'For internal services. The URL is minted by the pinned client and returned only after it passed validation against the pinned endpoint mode.',
        tags: ['presign'],
        body: presignRequestSchema,
        response: { 200: presignResponseSchema, ...errorResponses(400, 403, 413, 415, 500, 503) },
      },
    },
    async (request) => {
      const presigned = await app.signing.presigner.presign(toPresignRequest(request.body, app.config));
      app.metrics.urlsIssued.inc({ operation: request.body.operation });
      return { ...presigned, expiresAt: presigned.expiresAt.toISOString() };
    },
  );
};

function toPresignRequest(
  body: PresignRequestBody,
  config: { buckets: string[]; presign: { defaultExpiresSeconds: number; maxExpiresSeconds: number } },
): PresignRequest {
  const bucket = body.bucket ?? (config.buckets[0] as string);
  if (!config.buckets.includes(bucket)) {
    throw new AppError('BUCKET_NOT_ALLOWED', `bucket "${bucket}" is not on the allowlist`, { field: 'bucket' });
  }
  if (body.expiresIn !== undefined && body.expiresIn > config.presign.maxExpiresSeconds) {
    throw new AppError('INVALID_EXPIRES', `expiresIn must be at most ${config.presign.maxExpiresSeconds} seconds`, {
      field: 'expiresIn',
    });
  }
  const putOnly = {
    contentType: body.contentType,
    contentLength: body.contentLength,
    checksumSha256: body.checksumSha256,
  };
  if (body.operation === 'get') {
    const misplaced = Object.entries(putOnly).find(([, value]) => value !== undefined)?.[0];
    if (misplaced) throw new AppError('VALIDATION_FAILED', `${misplaced} only applies to put`, { field: misplaced });
  } else if (body.responseContentDisposition !== undefined) {
    throw new AppError('VALIDATION_FAILED', 'responseContentDisposition only applies to get', {
      field: 'responseContentDisposition',
    });
  }
  return {
    operation: body.operation,
    bucket,
    key: body.key,
    expiresIn: body.expiresIn ?? config.presign.defaultExpiresSeconds,
    ...putOnly,
    responseContentDisposition: body.responseContentDisposition,
  };
}
