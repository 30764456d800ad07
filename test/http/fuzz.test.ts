// Thousands of random bodies at the JSON routes that sign (/presign, /presign/batch, /uploads,
// /downloads, Uppy's /s3/sign) and at /verify: never a 500, every refusal carries a code, and
// nothing signed ever falls outside the caller's policy. The multipart routes, which call the
// store, have their own tests (test/http/multipart.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { ERROR_CODES } from '../../src/errors.js';
import { startLocalApp } from '../helpers.js';

// 10,000 bodies per route on every npm test; FUZZ_RUNS_PER_ROUTE changes it, FUZZ_SEED replays
// a run. Each body is a whole app.inject round trip (~0.3-0.9 ms of CPU here).
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS_PER_ROUTE ?? 10_000);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const key = generateApiKey();
const POLICY = {
  operations: ['get', 'put'],
  buckets: ['uploads'],
  keyPrefixes: ['fuzz/'],
  maxExpiresSeconds: 600,
  maxContentLength: 10_000,
  contentTypes: ['image/*', 'text/plain'],
};

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom(
    '',
    '.',
    '..',
    '/',
    'fuzz/',
    'fuzz/../x',
    'fuzz/./x',
    'fuzz//x',
    'fuzz/\u0000',
    'fuzz/\r\nx',
    'fuzz/\ud800',
    'image/png',
    'text/plain; charset=utf-8',
    'image/*',
    'uploads',
    'other',
    'arn:aws:s3:us-east-1:123456789012:accesspoint/x',
    'x'.repeat(1025),
    'fuzz/' + 'é'.repeat(600),
  ),
  fc.string().map((s) => `fuzz/${s}`),
);
const number = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, 1, 600, 601, 604800, 604801, 10_000, 10_001, -1, 2 ** 53, Number.NaN),
);
const field = fc.oneof(
  nasty,
  number,
  fc.boolean(),
  fc.constant(null),
  fc.array(nasty, { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const nearPresign = fc.record(
  {
    operation: fc.oneof(fc.constantFrom('get', 'put'), field),
    bucket: fc.oneof(fc.constantFrom('uploads', 'other'), field),
    key: fc.oneof(nasty, field),
    expiresIn: number,
    contentType: fc.oneof(fc.constantFrom('image/png', 'text/plain', 'text/html'), nasty),
    contentLength: number,
    checksumSha256: fc.oneof(fc.constant('n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg='), nasty),
    checksumCrc64nvme: fc.oneof(fc.constant('M3eFcAZSQlc='), nasty),
    checksumCrc32: fc.oneof(fc.constant('AAAAAA=='), nasty),
    checksumMode: fc.oneof(fc.boolean(), field),
    responseContentDisposition: nasty,
    extra: field,
  },
  { requiredKeys: [] },
);
// Well-formed requests with random content: these reach the policy and the signer.
const plausibleKey = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1 }).map((s) => `fuzz/${s}`),
  nasty,
);
const plausiblePresign = fc.oneof(
  fc.record(
    {
      operation: fc.constant('get'),
      key: plausibleKey,
      expiresIn: fc.integer({ min: 1, max: 700 }),
      // A lone surrogate too, which the signer's encoding cannot write: refused, never a 500.
      responseContentDisposition: fc.oneof(fc.string(), fc.constantFrom('\ud800', 'attachment; filename="\udc00"')),
    },
    { requiredKeys: ['operation', 'key'] },
  ),
  fc.record(
    {
      operation: fc.constant('put'),
      bucket: fc.constantFrom('uploads', 'other'),
      key: plausibleKey,
      expiresIn: fc.integer({ min: 1, max: 700 }),
      contentType: fc.constantFrom(
        'image/png',
        'image/svg+xml',
        'text/plain',
        'TEXT/PLAIN; charset=utf-8',
        'text/html',
        'application/json',
      ),
      contentLength: fc.integer({ min: 0, max: 12_000 }),
    },
    { requiredKeys: ['operation', 'key', 'contentType', 'contentLength'] },
  ),
);
const bodies = {
  '/presign': fc.oneof(plausiblePresign, nearPresign, fc.jsonValue()),
  '/presign/batch': fc.oneof(
    fc.record({ items: fc.array(fc.oneof(plausiblePresign, nearPresign, fc.jsonValue()), { maxLength: 8 }) }),
    fc.jsonValue(),
  ),
  '/uploads': fc.oneof(
    fc.record(
      {
        filename: fc.string({ unit: 'grapheme', minLength: 1 }),
        contentType: fc.constantFrom('image/png', 'text/plain', 'text/html'),
        contentLength: fc.integer({ min: 0, max: 12_000 }),
        method: fc.constantFrom('put', 'post'),
      },
      { requiredKeys: ['filename', 'contentType', 'contentLength'] },
    ),
    fc.record(
      {
        filename: fc.oneof(nasty, field),
        contentType: fc.oneof(fc.constantFrom('image/png', 'text/plain'), nasty),
        contentLength: number,
        checksumSha256: nasty,
        extra: field,
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  ),
  '/downloads': fc.oneof(
    fc.record(
      { key: plausibleKey, filename: fc.string({ unit: 'grapheme', minLength: 1 }) },
      { requiredKeys: ['key'] },
    ),
    fc.record({ key: fc.oneof(nasty, field), filename: fc.oneof(nasty, field) }, { requiredKeys: [] }),
    fc.jsonValue(),
  ),
  // @uppy/aws-s3's signRequest: a whole file, a part, or a control call of a multipart upload.
  '/s3/sign': fc.oneof(
    fc.record(
      {
        method: fc.constantFrom('PUT', 'POST', 'GET', 'DELETE'),
        key: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1 }), nasty),
        contentType: fc.constantFrom('image/png', 'text/plain', 'text/html'),
        size: fc.integer({ min: 0, max: 12_000 }),
        partNumber: fc.integer({ min: 1, max: 3 }),
        uploadId: fc.oneof(nasty, fc.constant('u1.AAAA.BBBB')),
        expiresIn: number,
      },
      { requiredKeys: ['method', 'key'] },
    ),
    fc.record(
      { method: field, key: field, contentType: nasty, size: number, partSize: number, extra: field },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  ),
  '/verify': fc.oneof(fc.record({ url: fc.oneof(fc.webUrl(), nasty) }, { requiredKeys: [] }), fc.jsonValue()),
};

type Presigned = {
  url: string;
  bucket: string;
  key: string;
  expiresIn: number;
  method: string;
  headers: Record<string, string>;
};

type AppErrorBody = { statusCode: number; code: string; message: unknown };

/** A POST policy's form: its key, type and size range. */
type PresignedForm = { url: string; key: string; fields: Record<string, string> };

function assertFormInsidePolicy(form: PresignedForm) {
  assert.ok(form.key.startsWith('fuzz/'), `key ${form.key} outside the prefix`);
  assert.equal(form.fields.key, form.key);
  assert.equal(new URL(form.url).pathname, '/uploads');
  assert.match(form.fields['Content-Type'] ?? '', /^(image\/|text\/plain)/i);
  const document = JSON.parse(Buffer.from(form.fields.Policy ?? '', 'base64').toString('utf8'));
  const range = document.conditions.find((condition: unknown[]) => condition[0] === 'content-length-range');
  assert.ok(range[2] <= POLICY.maxContentLength, JSON.stringify(range));
}

function assertInsidePolicy(result: Presigned) {
  assert.equal(result.bucket, 'uploads');
  assert.ok(result.key.startsWith('fuzz/'), `key ${result.key} outside the prefix`);
  assert.ok(result.expiresIn >= 1 && result.expiresIn <= POLICY.maxExpiresSeconds);
  const url = new URL(result.url);
  assert.ok(url.pathname.startsWith('/uploads/fuzz/'), url.pathname);
  if (result.method === 'PUT') {
    assert.ok(Number(result.headers['content-length']) <= POLICY.maxContentLength);
    assert.match(result.headers['content-type'] ?? '', /^(image\/|text\/plain)/i);
  }
}

test('random bodies at the signing routes and /verify: no 500, coded refusals, nothing outside the policy', async (t) => {
  const { app } = await startLocalApp(
    t,
    { S3_BUCKETS: 'uploads,other', LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '1000000', VERIFY_RATE_LIMIT_MAX: '1000000' },
    {},
    { clients: { clients: [{ id: 'fuzzer', apiKeySha256: hashApiKey(key), policy: POLICY }] } },
  );
  const codes = new Set<string>(ERROR_CODES);
  /** A refusal as a route or a batch item writes one: a known code, under 500, a message. */
  const assertCodedRefusal = (error: AppErrorBody, context: string) => {
    assert.ok(error.statusCode < 500, context);
    assert.ok(codes.has(error.code), context);
    assert.equal(typeof error.message, 'string', context);
  };
  for (const [url, arbitrary] of Object.entries(bodies)) {
    let signed = 0;
    await fc.assert(
      fc.asyncProperty(arbitrary, async (body) => {
        const response = await app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body) ?? 'null',
        });
        assert.ok(
          response.statusCode < 500,
          `${url} ${JSON.stringify(body)} → ${response.statusCode} ${response.body}`,
        );
        const json = response.json();
        if (response.statusCode >= 400) {
          assertCodedRefusal(json, `${url} → ${response.body}`);
          assert.equal(json.statusCode, response.statusCode);
          return;
        }
        if (url === '/verify') return;
        const results: Presigned[] =
          url === '/presign/batch'
            ? json.results.flatMap((item: { ok: true; result: Presigned } | { ok: false; error: AppErrorBody }) => {
                if (!item.ok) assertCodedRefusal(item.error, `${url} ${JSON.stringify(body)} → ${response.body}`);
                return item.ok ? [item.result] : [];
              })
            : [json];
        for (const result of results) {
          // A form policy (/uploads `method: post`, a whole file at /s3/sign), a presigned URL, or
          // /s3/sign's multipart call back to this service: no credential, checked when it is
          // called with the app's own Authorization; the create names the key it will use.
          if ('fields' in result) assertFormInsidePolicy(result as unknown as PresignedForm);
          else if (result.url.startsWith('/')) {
            assert.match(result.url, /^\/s3\/uppy\/[a-z]+\?/);
            if (result.key !== undefined) assert.ok(result.key.startsWith('fuzz/'), result.key);
          } else assertInsidePolicy(result);
        }
        signed += results.length;
      }),
      { numRuns: RUNS_PER_ROUTE, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    // The generators must reach the signer too, not only the refusals.
    if (url !== '/verify') assert.ok(signed > 0, `${url}: no random body was ever signed`);
    t.diagnostic(`${url}: ${RUNS_PER_ROUTE} bodies, ${signed} URLs signed`);
  }
});
