// The multipart routes' success and error shapes through app.inject: S3's rules are 400s
// naming the field before S3 is asked, and every route wants a caller.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalApp } from '../helpers.js';

const MiB = 1024 ** 2;

test('every multipart route wants a caller', async (t) => {
  const { app } = await startLocalApp(t);
  for (const url of ['/multipart', '/multipart/parts', '/multipart/list', '/multipart/complete', '/multipart/abort']) {
    const response = await app.inject({ method: 'POST', url, payload: {} });
    assert.equal(response.statusCode, 401, url);
    assert.equal(response.json().code, 'AUTH_REQUIRED');
  }
});

test("S3's rules are clear 400s before S3 sees the request", async (t) => {
  const { app, auth } = await startLocalApp(t);
  const post = async (url: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url, headers: auth, payload });
    return { status: response.statusCode, body: response.json() };
  };
  const file = { filename: 'a.bin', contentType: 'application/octet-stream' };
  const cases: Array<[object, string, string]> = [
    [{ ...file, contentLength: 100 * MiB, partSize: 4 * MiB }, 'INVALID_PART_SIZE', 'partSize'],
    [{ ...file, contentLength: 100 * MiB, partSize: 5 * 1024 * MiB + 1 }, 'INVALID_PART_SIZE', 'partSize'],
    [{ ...file, contentLength: 60_000 * MiB, partSize: 5 * MiB }, 'TOO_MANY_PARTS', 'partSize'],
    [{ ...file, contentLength: 5 * 1024 ** 4 + 1 }, 'OBJECT_TOO_LARGE', 'contentLength'],
    [{ ...file, contentLength: -1 }, 'VALIDATION_FAILED', 'contentLength'],
    [{ ...file, contentLength: 1, checksumAlgorithm: 'MD4' }, 'VALIDATION_FAILED', 'checksumAlgorithm'],
    [
      { ...file, contentLength: 1, checksumAlgorithm: 'SHA1', checksumType: 'FULL_OBJECT' },
      'CHECKSUM_TYPE_NOT_ALLOWED',
      'checksumType',
    ],
    [{ filename: 'a', contentLength: 1 }, 'VALIDATION_FAILED', 'contentType'],
  ];
  for (const [payload, code, field] of cases) {
    const response = await post('/multipart', payload);
    assert.equal(response.status, 400, JSON.stringify(payload));
    assert.deepEqual([response.body.code, response.body.field], [code, field], JSON.stringify(payload));
  }

  // A default part size keeps even 5 TiB within 10,000 parts.
  const huge = await post('/multipart', { ...file, contentLength: 5 * 1024 ** 4 });
  assert.equal(huge.status, 200, JSON.stringify(huge.body));
  assert.ok(huge.body.partCount <= 10_000);
  assert.deepEqual(Object.keys(huge.body).sort(), ['bucket', 'expiresAt', 'key', 'partCount', 'partSize', 'uploadId']);
  const created = await post('/multipart', { ...file, contentLength: 12 * MiB, partSize: 5 * MiB });
  const { key, uploadId } = created.body;
  const refusals: Array<[string, object, number, string, string]> = [
    ['/multipart/parts', { key, uploadId, partNumbers: [0] }, 400, 'INVALID_PART_NUMBER', 'partNumbers.0'],
    ['/multipart/parts', { key, uploadId, partNumbers: [4] }, 400, 'INVALID_PART_NUMBER', 'partNumbers.0'],
    ['/multipart/parts', { key, uploadId, partNumbers: [] }, 400, 'VALIDATION_FAILED', 'partNumbers'],
    [
      '/multipart/parts',
      { key, uploadId, partNumbers: Array.from({ length: 101 }, (_, i) => i + 1) },
      400,
      'VALIDATION_FAILED',
      'partNumbers',
    ],
    ['/multipart/parts', { key, uploadId: 'not-ours', partNumbers: [1] }, 400, 'INVALID_UPLOAD_ID', 'uploadId'],
    ['/multipart/list', { key: `${key}x`, uploadId }, 403, 'UPLOAD_NOT_ALLOWED', 'uploadId'],
    ['/multipart/complete', { key, uploadId, parts: [] }, 400, 'VALIDATION_FAILED', 'parts'],
    [
      '/multipart/complete',
      { key, uploadId, parts: [{ partNumber: 10_001, etag: '"x"' }] },
      400,
      'INVALID_PART_NUMBER',
      'parts.0.partNumber',
    ],
    [
      '/multipart/complete',
      { key, uploadId, parts: [{ partNumber: 1, etag: '"x"' }] },
      400,
      'INVALID_PART',
      'parts.0.etag',
    ],
    ['/multipart/abort', { key, uploadId, extra: 1 }, 400, 'VALIDATION_FAILED', 'extra'],
  ];
  for (const [url, payload, status, code, field] of refusals) {
    const response = await post(url, payload);
    assert.equal(response.status, status, `${url} ${JSON.stringify(payload)} ${JSON.stringify(response.body)}`);
    assert.deepEqual([response.body.code, response.body.field], [code, field], url);
  }
  const signed = await post('/multipart/parts', { key, uploadId, partNumbers: [3, 1] });
  assert.equal(signed.status, 200);
  assert.deepEqual(
    signed.body.parts.map((part: { partNumber: number; method: string; headers: object }) => [
      part.partNumber,
      part.method,
      part.headers,
    ]),
    [
      [3, 'PUT', { 'content-length': String(2 * MiB) }],
      [1, 'PUT', { 'content-length': String(5 * MiB) }],
    ],
  );
  const listed = await post('/multipart/list', { key, uploadId });
  assert.deepEqual(listed.body, { parts: [] });
  const aborted = await app.inject({
    method: 'POST',
    url: '/multipart/abort',
    headers: auth,
    payload: { key, uploadId },
  });
  assert.equal(aborted.statusCode, 204);
  const again = await post('/multipart/abort', { key, uploadId });
  assert.deepEqual([again.status, again.body.code], [404, 'NO_SUCH_UPLOAD']);
});

test("a form upload (/uploads, method post) takes up to S3's 5 GiB for one request, not a byte more", async (t) => {
  const { app, auth } = await startLocalApp(t);
  const form = async (contentLength: number) => {
    const response = await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: { filename: 'disk.img', contentType: 'application/octet-stream', contentLength, method: 'post' },
    });
    return { status: response.statusCode, body: response.json() };
  };
  const fiveGiB = 5 * 1024 ** 3;
  const largest = await form(fiveGiB);
  assert.equal(largest.status, 200, JSON.stringify(largest.body));
  const policy = JSON.parse(Buffer.from(largest.body.fields.Policy, 'base64').toString('utf8'));
  assert.deepEqual(
    policy.conditions.find((condition: unknown) => Array.isArray(condition) && condition[0] === 'content-length-range'),
    ['content-length-range', fiveGiB, fiveGiB],
  );
  const over = await form(fiveGiB + 1);
  assert.deepEqual([over.status, over.body.field], [400, 'contentLength'], JSON.stringify(over.body));
});
