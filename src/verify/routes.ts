import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { URL_CHECK_CODES } from '../errors.js';
import { ENDPOINT_MODE_KINDS } from '../endpoint/endpoint-mode.js';
import { errorResponses } from '../http/error-schema.js';
import { clientAddressKey } from '../rate-limit/client-address.js';
import { MAX_FAILURE_MESSAGE_LENGTH, validatePresignedUrl } from './url-validator.js';

const verifyRequestSchema = z
  .strictObject({ url: z.string().min(1).max(8192).describe('Any presigned URL, from this service or another tool') })
  .meta({ id: 'VerifyRequest' });

const verifyReportSchema = z
  .object({
    valid: z.boolean(),
    mode: z.enum(ENDPOINT_MODE_KINDS),
    failures: z
      .array(
        z.object({
          code: z.enum(URL_CHECK_CODES),
          message: z
            .string()
            .describe(`The first failure of this check, at most ${MAX_FAILURE_MESSAGE_LENGTH} characters`),
          count: z.number().int().min(1).describe('How many times this check failed'),
        }),
      )
      .describe('One entry per failed check (code), in the order first found'),
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
      config: {
        rateLimit: {
          max: app.config.verifyRateLimit.max,
          timeWindow: app.config.verifyRateLimit.windowSeconds * 1000,
          // The client's address as TRUST_PROXY reads it (an IPv6 client by its /64): anyone
          // may call, so there is no caller id.
          keyGenerator: (request) => clientAddressKey(request.ip),
        },
      },
      schema: {
        summary: 'Validate a presigned URL against the pinned endpoint mode',
        description:
          'Runs the checks every minted URL passes (canonical form, host, path, algorithm, scope, dates, expiry, signed headers, parameters, token, signature format). 200 with the report whether or not the URL is valid; the report holds one failure per check, so it stays small whatever the URL. Rate limited per client address (VERIFY_RATE_LIMIT_MAX per VERIFY_RATE_LIMIT_WINDOW_SECONDS).',
        tags: ['verify'],
        body: verifyRequestSchema,
        response: { 200: verifyReportSchema, ...errorResponses(400, 413, 415, 429, 500) },
      },
    },
    async (request) => ({
      mode: app.config.mode.kind,
      ...validatePresignedUrl(request.body.url, app.signing.policy),
    }),
  );
};
