import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { URL_CHECK_CODES } from '../errors.js';
import { ENDPOINT_MODE_KINDS } from '../endpoint/endpoint-mode.js';
import { errorResponses } from '../http/error-schema.js';
import { validatePresignedUrl } from './url-validator.js';

const verifyRequestSchema = z
  .strictObject({ url: z.string().min(1).max(8192).describe('Any presigned URL, from this service or another tool') })
  .meta({ id: 'VerifyRequest' });

const verifyReportSchema = z
  .object({
    valid: z.boolean(),
    mode: z.enum(ENDPOINT_MODE_KINDS),
    failures: z.array(z.object({ code: z.enum(URL_CHECK_CODES), message: z.string() })),
    bucket: z.string().optional(),
    key: z.string().optional(),
    addressing: z.enum(['virtual-hosted', 'path-style', 'access-point']).optional(),
    region: z.string().optional(),
    signedAt: z.iso.datetime().optional(),
    expiresAt: z.iso.datetime().optional(),
    signedHeaders: z.array(z.string()).optional(),
  })
  .meta({ id: 'VerifyReport' });

export const verifyRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post(
    '/verify',
    {
      schema: {
        summary: 'Validate a presigned URL against the pinned endpoint mode',
        description:
          'Runs the checks every minted URL passes (host, path, algorithm, scope, dates, expiry, signed headers, parameters, token, signature format). 200 with the report whether or not the URL is valid.',
        tags: ['verify'],
        body: verifyRequestSchema,
        response: { 200: verifyReportSchema, ...errorResponses(400, 413, 415, 500) },
      },
    },
    async (request) => ({
      mode: app.config.mode.kind,
      ...validatePresignedUrl(request.body.url, app.signing.policy),
    }),
  );
};
