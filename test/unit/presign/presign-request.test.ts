// toPresignRequest is written out field by field for speed (issue 22); the entries-and-spreads
// version it replaced is kept here as the reference it must equal on every generated body.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Caller } from '../../../src/auth/caller-policy.js';
import { CHECKSUM_ALGORITHMS, CHECKSUM_FIELDS } from '../../../src/endpoint/checksum-algorithms.js';
import { AppError } from '../../../src/errors.js';
import type { PresignRequest } from '../../../src/presign/presigner.js';
import { callerDefaults, toPresignRequest } from '../../../src/presign/routes.js';
import type { PresignRequestBody } from '../../../src/presign/schemas.js';
import { signingConfigFrom } from '../../fixtures/config.js';

const config = signingConfigFrom({
  S3_ENDPOINT_MODE: 'regional',
  S3_REGION: 'eu-west-1',
  S3_BUCKETS: 'photos,archive',
  PRESIGN_MAX_EXPIRES: '3600',
});

/**
 * What the entries-and-spreads version answered once the bucket and expiry were settled (that
 * part is unchanged): the first misplaced field, or the request.
 */
function replacedVersion(
  body: PresignRequestBody,
  bucket: string,
  expiresIn: number,
): { misplaced: string } | PresignRequest {
  const putOnly = {
    contentType: body.contentType,
    contentLength: body.contentLength,
    ...Object.fromEntries(
      CHECKSUM_ALGORITHMS.map((algorithm) => [CHECKSUM_FIELDS[algorithm], body[CHECKSUM_FIELDS[algorithm]]]),
    ),
  };
  const getOnly = {
    responseContentDisposition: body.responseContentDisposition,
    checksumMode: body.checksumMode,
    partNumber: body.partNumber,
  };
  const misplaced = Object.entries(
    body.operation === 'get' ? { ...putOnly, metadata: body.metadata, tags: body.tags } : getOnly,
  ).find(([, value]) => value !== undefined)?.[0];
  if (misplaced) return { misplaced };
  return { operation: body.operation, bucket, key: body.key, expiresIn, ...putOnly, ...getOnly };
}

const optional = <T>(value: fc.Arbitrary<T>) => fc.option(value, { nil: undefined, freq: 2 });
const body: fc.Arbitrary<PresignRequestBody> = fc.record({
  operation: fc.constantFrom('get' as const, 'put' as const),
  key: fc.constantFrom('a', 'uploads/photo 1.jpg'),
  bucket: optional(fc.constantFrom('photos', 'archive')),
  expiresIn: optional(fc.constantFrom(1, 900, 3600)),
  contentType: optional(fc.constant('image/png')),
  contentLength: optional(fc.constant(1024)),
  checksumCrc32: optional(fc.constant('AAAAAA==')),
  checksumCrc32c: optional(fc.constant('AAAAAA==')),
  checksumCrc64nvme: optional(fc.constant('AAAAAAAAAAA=')),
  checksumSha1: optional(fc.constant('2jmj7l5rSw0yVb/vlWAYkK/YBwk=')),
  checksumSha256: optional(fc.constant('47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=')),
  responseContentDisposition: optional(fc.constant('attachment')),
  checksumMode: optional(fc.boolean()),
  partNumber: optional(fc.constantFrom(1, 10_000)),
  metadata: optional(fc.constant({ project: 'x' })),
  tags: optional(fc.constant({ team: 'y' })),
}) as fc.Arbitrary<PresignRequestBody>;
const caller: fc.Arbitrary<Caller> = fc
  .record({
    buckets: fc.constantFrom([], ['archive']),
    maxExpiresSeconds: fc.constantFrom(60, 3600),
  })
  .map(({ buckets, maxExpiresSeconds }) => ({
    id: 'c',
    kind: 'api-key',
    subject: undefined,
    policy: {
      operations: ['get', 'put'],
      buckets,
      keyPrefixes: [''],
      maxExpiresSeconds,
      maxContentLength: undefined,
      contentTypes: undefined,
      presignRoutes: true,
      metadataKeys: [],
      tagKeys: [],
    },
  }));

/** The answer with its keys in order, or the refusal. */
function outcome(run: () => PresignRequest | { misplaced: string }) {
  try {
    const answer = run();
    if ('misplaced' in answer) return { refused: answer.misplaced };
    return { request: answer, keys: Object.keys(answer) };
  } catch (error) {
    assert.ok(error instanceof AppError && error.code === 'VALIDATION_FAILED', String(error));
    assert.match(error.message, /^\S+ only applies to (get|put)$/);
    return { refused: error.field };
  }
}

test('toPresignRequest answers and names the misplaced field exactly as the entries-and-spreads version it replaced', () => {
  fc.assert(
    fc.property(body, caller, (body, caller) => {
      const defaults = callerDefaults(caller, config);
      assert.deepEqual(
        outcome(() => toPresignRequest(body, caller, config)),
        outcome(() => replacedVersion(body, body.bucket ?? defaults.bucket, body.expiresIn ?? defaults.expiresIn)),
      );
    }),
    { numRuns: 5000 },
  );
});
