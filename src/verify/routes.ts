import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { URL_CHECK_CODES } from '../errors.js';
import { ENDPOINT_MODE_KINDS } from '../endpoint/endpoint-mode.js';
import { errorResponses, JSON_BODY_ERRORS } from '../http/error-schema.js';
import { clientAddressKey } from '../rate-limit/client-address.js';
import { validatePostForm } from './post-form-validator.js';
import { MAX_FAILURE_MESSAGE_LENGTH, validatePresignedUrl, type UrlExpectation } from './url-validator.js';

/** A form holds a dozen fields; boto3's, the SDK's and ours stay under 4 KB in all. */
const MAX_FORM_FIELDS = 64;

const verifyRequestSchema = z
  .strictObject({
    url: z
      .string()
      .min(1)
      .max(8192)
      .describe("Any presigned URL, from this service or another tool; with `fields`, a POST policy form's URL"),
    method: z
      .enum(['GET', 'PUT'])
      .optional()
      .describe(
        "What the URL is for. URLs from the AWS SDK for JavaScript say so (x-id); others (boto3) do not, and a bucket whose uploads carry encryption (S3_SSE*) then needs it: a PUT must sign the bucket's encryption headers",
      ),
    headers: z
      .record(z.string().min(1).max(256), z.string().max(2048))
      .refine((headers) => Object.keys(headers).length <= 64, 'at most 64 headers')
      .optional()
      .describe(
        "The headers the client will send with the URL. A signed header's value is not in the URL: given here, the encryption ones are checked against the bucket's configuration (another KMS key is refused)",
      ),
    fields: z
      .record(z.string().min(1).max(256), z.string().max(16384))
      .refine((fields) => Object.keys(fields).length <= MAX_FORM_FIELDS, `at most ${MAX_FORM_FIELDS} fields`)
      .optional()
      .describe(
        "A POST policy form's fields (boto3's generate_presigned_post, the AWS SDK's createPresignedPost, POST /uploads with method post): the form is then judged, not a URL",
      ),
  })
  .refine((body) => body.fields === undefined || (body.method === undefined && body.headers === undefined), {
    error: '`method` and `headers` are for a URL; a form (`fields`) says what it is itself',
    path: ['fields'],
  })
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
        operationId: 'verifyUrl',
        summary: 'Validate a presigned URL, or a POST policy form, against the pinned endpoint mode',
        description:
          'Runs the checks every minted URL passes (canonical form, host, path, bucket allowlist, algorithm, scope, dates, expiry, signed headers, parameters, token, signature format, and the encryption a PUT must carry for its bucket). With `fields`, judges a POST policy form from any tool: its URL by the same canonical-form and location rules, its SigV4 fields, and its policy document (well formed, expiry within the maximum, bound to the bucket, a condition met by every field). 200 with the report whether or not it is valid; the report holds one failure per check, so it stays small whatever the input. Rate limited per client address (VERIFY_RATE_LIMIT_MAX per VERIFY_RATE_LIMIT_WINDOW_SECONDS).',
        tags: ['verify'],
        body: verifyRequestSchema,
        response: { 200: verifyReportSchema, ...errorResponses(JSON_BODY_ERRORS, 'RATE_LIMITED', 'INTERNAL_ERROR') },
      },
    },
    async (request) => {
      const { url, fields, method, headers } = request.body;
      // A URL (or form) for a bucket outside S3_BUCKETS is one the service would never sign.
      const allowedBuckets = app.config.buckets;
      if (fields !== undefined) {
        return {
          mode: app.config.mode.kind,
          ...validatePostForm({ url, fields }, app.signing.policy, { allowedBuckets }),
        };
      }
      const expectation: UrlExpectation = { allowedBuckets };
      if (method !== undefined) expectation.method = method;
      if (headers !== undefined) {
        expectation.headers = Object.fromEntries(
          Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
        );
      }
      return { mode: app.config.mode.kind, ...validatePresignedUrl(url, app.signing.policy, expectation) };
    },
  );
};
