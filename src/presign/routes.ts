import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AuditedRequest } from '../audit/audit-trail.js';
import { newGrantId } from '../audit/grant-id.js';
import { authorize, CALLER_POLICY_ERRORS, type Caller } from '../auth/caller-policy.js';
import type { RouteAccess } from '../auth/route-access.js';
import type { Config } from '../config/config.js';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_ERRORS,
  CHECKSUM_FIELDS,
  refuseUnverifiedChecksums,
  requestChecksum,
} from '../endpoint/checksum-algorithms.js';
import { AppError, isAppError, type ErrorCode } from '../errors.js';
import { isoTimeMemo } from '../iso-time.js';
import { CALLER_ERRORS, errorResponses, errorResponseSchema, JSON_BODY_ERRORS } from '../http/error-schema.js';
import { render, validationError } from '../http/error-handler.js';
import { checkLabels, LABEL_ERRORS, NO_LABELS, objectHeaders, type ObjectLabels } from '../metadata/object-metadata.js';
import { auditedChecksum, uploadConstraints } from '../audit/upload-constraints.js';
import { PRESIGNER_ERRORS, type PresignedUrl, type PresignRequest } from './presigner.js';
import { presignRequestSchema, presignResponseSchema, type PresignRequestBody } from './schemas.js';

export const MAX_BATCH_ITEMS = 100;

const batchRequestSchema = z
  .strictObject({
    items: z
      .array(z.unknown())
      .min(1)
      .max(MAX_BATCH_ITEMS)
      .describe(`1-${MAX_BATCH_ITEMS} PresignRequest objects, each validated and answered on its own`),
  })
  .meta({ id: 'PresignBatchRequest' });

const batchResponseSchema = z
  .object({
    results: z.array(
      z.discriminatedUnion('ok', [
        z.object({ ok: z.literal(true), result: presignResponseSchema }),
        z.object({ ok: z.literal(false), error: errorResponseSchema }),
      ]),
    ),
  })
  .meta({ id: 'PresignBatchResponse' });

/** A URL's expiry as toISOString writes it; the URLs of one second mostly share theirs. */
const expiresAtText = isoTimeMemo();

function serializePresigned(presigned: PresignedUrl) {
  // Written out rather than spread: the spread copied through a generic path on every URL
  // (1.9 µs of /presign's server CPU, bench/profile.mjs). The order is the response's; a field
  // added to PresignedUrl fails `satisfies` until it is written here too.
  return {
    url: presigned.url,
    method: presigned.method,
    headers: presigned.headers,
    expiresAt: expiresAtText(presigned.expiresAt.getTime()),
    expiresIn: presigned.expiresIn,
    bucket: presigned.bucket,
    key: presigned.key,
    endpoint: presigned.endpoint,
  } satisfies Record<keyof PresignedUrl, unknown>;
}

/** What issueForCaller refuses with: the caller's policy, the store's checksums, the presigner. */
export const ISSUE_ERRORS = [
  ...CALLER_POLICY_ERRORS,
  ...CHECKSUM_ERRORS,
  ...PRESIGNER_ERRORS,
  ...LABEL_ERRORS,
] as const satisfies readonly ErrorCode[];

/**
 * The one way every route mints a URL: the caller's policy, a checksum only where the store
 * verifies it, the object's provenance, metadata and tags (a put), then the presigner, the
 * count and the audit event. `origin` is the request served: its caller, and the event's who
 * and from where.
 */
export async function issueForCaller(
  app: FastifyInstance,
  origin: AuditedRequest & { caller: Caller },
  request: PresignRequest,
  labels: ObjectLabels = {},
) {
  const { caller } = origin;
  authorize(caller, request);
  refuseUnverifiedChecksums(request, app.config.store.verifiedChecksums);
  const grant = newGrantId();
  const checked = request.operation === 'put' ? checkLabels(caller.policy, labels) : NO_LABELS;
  const serverHeaders =
    request.operation === 'put'
      ? objectHeaders({ provenance: app.config.audit.provenance, caller, grant, labels: checked })
      : undefined;
  const presigned = await app.signing.presigner.presign(Object.assign({}, request, { grant, serverHeaders }));
  app.metrics.urlsIssued.inc({ operation: request.operation });
  app.audit.grant(origin, {
    grant,
    operation: request.operation,
    bucket: presigned.bucket,
    key: presigned.key,
    expiresAt: presigned.expiresAt,
    constraints:
      request.operation === 'put'
        ? uploadConstraints(app.config, request.bucket, serverHeaders ?? {}, checked, {
            contentType: request.contentType,
            contentLength: request.contentLength,
            checksum: auditedChecksum(requestChecksum(request)),
          })
        : request.responseContentDisposition === undefined
          ? undefined
          : { responseContentDisposition: request.responseContentDisposition },
  });
  return serializePresigned(presigned);
}

/** Where the caller names any key: services, and frontends whose policy sets presignRoutes. */
const PRESIGN_ACCESS: RouteAccess = { family: 'presign', frontends: 'presignRoutes' };

export const presignRoutes: FastifyPluginAsyncZod = async (app) => {
  const presignFor = (origin: AuditedRequest & { caller: Caller }, body: PresignRequestBody) =>
    issueForCaller(app, origin, toPresignRequest(body, origin.caller, app.config), body);

  app.post(
    '/presign',
    {
      config: { access: PRESIGN_ACCESS },
      schema: {
        operationId: 'presign',
        summary: 'Mint one presigned GET or PUT URL',
        description:
          "For internal services, and frontends whose policy sets presignRoutes. Checked against the caller's policy, minted by the pinned client and returned only after it passed validation against the pinned endpoint mode.",
        tags: ['presign'],
        security: [{ bearer: [] }],
        body: presignRequestSchema,
        response: {
          200: presignResponseSchema,
          // toPresignRequest's own refusals (VALIDATION_FAILED, BUCKET_NOT_ALLOWED, INVALID_EXPIRES) are among these.
          ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS, ISSUE_ERRORS),
        },
      },
    },
    async (request) => presignFor(request, request.body),
  );

  app.post(
    '/presign/batch',
    {
      config: { access: PRESIGN_ACCESS },
      schema: {
        operationId: 'presignBatch',
        summary: `Mint up to ${MAX_BATCH_ITEMS} presigned URLs in one call`,
        description:
          "Each item is validated, authorized and signed on its own: one refused item does not fail the others. Results are in the order of the items. Every item counts against the caller's rate limit: when they do not all fit, the whole batch is refused with 429 and nothing is signed.",
        tags: ['presign'],
        security: [{ bearer: [] }],
        body: batchRequestSchema,
        // An item's refusal is in its result, with the codes /presign answers with.
        response: { 200: batchResponseSchema, ...errorResponses(CALLER_ERRORS, JSON_BODY_ERRORS) },
      },
    },
    async (request, reply) => {
      // Every item counts against the caller's budget, refused items too (they were asked
      // for): all of them fit, or the batch is refused whole before anything is signed.
      await reply.chargeUrls(request.body.items.length);
      const results = [];
      for (const item of request.body.items) {
        try {
          const parsed = presignRequestSchema.safeParse(item);
          if (!parsed.success) {
            throw validationError(
              parsed.error.issues.map((issue) => ({
                path: issue.path,
                message: issue.message,
                unknownKeys: issue.code === 'unrecognized_keys' ? issue.keys : undefined,
              })),
              'item',
            );
          }
          results.push({ ok: true as const, result: await presignFor(request, parsed.data) });
        } catch (error) {
          if (!isAppError(error) || error.statusCode >= 500) request.log.error({ err: error }, 'batch item failed');
          const appError = isAppError(error) ? error : new AppError('INTERNAL_ERROR', 'internal error');
          // Answered in the batch, not by the error handler: a refused item is audited here.
          app.audit.refusal(request, appError);
          results.push({ ok: false as const, error: render(appError) });
        }
      }
      return { results };
    },
  );
};

/** What a request that names no bucket or expiry gets: the caller's first bucket, and the
 * service default capped by the caller's maximum. */
export function callerDefaults(caller: Caller, config: Config): { bucket: string; expiresIn: number } {
  return {
    bucket: caller.policy.buckets[0] ?? (config.buckets[0] as string),
    expiresIn: Math.min(config.presign.defaultExpiresSeconds, caller.policy.maxExpiresSeconds),
  };
}

/**
 * The body fields only a put takes, then those only a get takes, each in the order a misplaced
 * one is named.
 */
const PUT_ONLY_FIELDS = [
  'contentType',
  'contentLength',
  ...CHECKSUM_ALGORITHMS.map((algorithm) => CHECKSUM_FIELDS[algorithm]),
  'metadata',
  'tags',
] as const satisfies readonly (keyof PresignRequestBody)[];
const GET_ONLY_FIELDS = [
  'responseContentDisposition',
  'checksumMode',
  'partNumber',
] as const satisfies readonly (keyof PresignRequestBody)[];

/** Fills the defaults a request may leave out, from the caller's policy and the service. */
export function toPresignRequest(body: PresignRequestBody, caller: Caller, config: Config): PresignRequest {
  const defaults = callerDefaults(caller, config);
  const bucket = body.bucket ?? defaults.bucket;
  if (!config.buckets.includes(bucket)) {
    throw new AppError('BUCKET_NOT_ALLOWED', `bucket "${bucket}" is not on the allowlist`, { field: 'bucket' });
  }
  if (body.expiresIn !== undefined && body.expiresIn > config.presign.maxExpiresSeconds) {
    throw new AppError('INVALID_EXPIRES', `expiresIn must be at most ${config.presign.maxExpiresSeconds} seconds`, {
      field: 'expiresIn',
    });
  }
  const misplaced = (body.operation === 'get' ? PUT_ONLY_FIELDS : GET_ONLY_FIELDS).find(
    (field) => body[field] !== undefined,
  );
  if (misplaced) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${misplaced} only applies to ${body.operation === 'get' ? 'put' : 'get'}`,
      {
        field: misplaced,
      },
    );
  }
  // Written out rather than built from entries and spreads: one shape for every request, on
  // the path of every URL (bench/profile.mjs: toPresignRequest was 2.5% of /presign's CPU).
  return {
    operation: body.operation,
    bucket,
    key: body.key,
    expiresIn: body.expiresIn ?? defaults.expiresIn,
    contentType: body.contentType,
    contentLength: body.contentLength,
    checksumCrc32: body.checksumCrc32,
    checksumCrc32c: body.checksumCrc32c,
    checksumCrc64nvme: body.checksumCrc64nvme,
    checksumSha1: body.checksumSha1,
    checksumSha256: body.checksumSha256,
    checksumMd5: body.checksumMd5,
    checksumSha512: body.checksumSha512,
    checksumXxhash64: body.checksumXxhash64,
    checksumXxhash3: body.checksumXxhash3,
    checksumXxhash128: body.checksumXxhash128,
    responseContentDisposition: body.responseContentDisposition,
    checksumMode: body.checksumMode,
    partNumber: body.partNumber,
  } satisfies Record<Exclude<keyof PresignRequest, 'grant' | 'serverHeaders'>, unknown>;
}
