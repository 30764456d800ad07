// The Companion-compatible and Uppy 6 routes through app.inject: the refusals a caller (or an
// attacker holding a token) meets. Their flows against each store are in
// test/flows/upload-clients.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploadClientFlows } from '../flows/upload-clients.js';
import { startLocalApp } from '../helpers.js';
import { embeddedStore } from '../stores.js';

uploadClientFlows(embeddedStore);

test('Companion routes refuse what Companion would not check', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const { key, uploadId } = (
    await app.inject({
      method: 'POST',
      url: '/s3/multipart',
      headers: auth,
      payload: { filename: 'a.bin', metadata: { size: 1 } },
    })
  ).json();
  const path = `/s3/multipart/${encodeURIComponent(uploadId)}`;
  const cases: Array<[string, string, number, string]> = [
    ['no token', `${path}/1?key=${encodeURIComponent(key)}`, 401, 'AUTH_REQUIRED'],
    ['another key', `${path}/1?key=${encodeURIComponent(`${key}x`)}`, 403, 'UPLOAD_NOT_ALLOWED'],
    ['a forged upload ID', `/s3/multipart/u1.AAAA.BBBB/1?key=${encodeURIComponent(key)}`, 403, 'UPLOAD_NOT_ALLOWED'],
    ['part 0', `${path}/0?key=${encodeURIComponent(key)}`, 400, 'VALIDATION_FAILED'],
    ['a broken escape in the path', `/s3/multipart/%ZZ/1?key=k`, 400, 'VALIDATION_FAILED'],
    ['an over-long upload ID', `/s3/multipart/${'a'.repeat(3000)}/1?key=k`, 400, 'VALIDATION_FAILED'],
    ['a bad batch list', `${path}/batch?key=${encodeURIComponent(key)}&partNumbers=1,,2`, 400, 'VALIDATION_FAILED'],
  ];
  for (const [what, url, status, code] of cases) {
    const response = await app.inject({ method: 'GET', url, headers: what === 'no token' ? {} : auth });
    assert.deepEqual([response.statusCode, response.json().code], [status, code], what);
    assert.doesNotMatch(response.body, /a{100}/, `${what}: the path is not echoed`);
  }
  const badType = await app.inject({
    method: 'GET',
    url: '/s3/params?filename=a.txt&type=text%2Fplain%0d%0ax-evil%3A%201',
    headers: auth,
  });
  assert.deepEqual([badType.statusCode, badType.json().code], [400, 'VALIDATION_FAILED']);
});

test('/s3/sign: control URLs come from PUBLIC_BASE_URL or are paths, never from Host or X-Forwarded-*, and echo no header', async (t) => {
  const requests = [
    { host: 'evil.example' },
    { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'javascript' },
    { 'x-forwarded-host': 'evil.example:1', 'x-forwarded-proto': 'https' },
  ];
  const controlUrls = async (env: Record<string, string>) => {
    const { app, auth } = await startLocalApp(t, env);
    const urls: string[] = [];
    for (const headers of requests) {
      const signs = [
        { method: 'POST', key: 'a.bin', size: 10 },
        { method: 'GET', key: 'k', uploadId: 'u1.x.y' },
        { method: 'POST', key: 'k', uploadId: 'u1.x.y' },
        { method: 'DELETE', key: 'k', uploadId: 'u1.x.y' },
      ];
      for (const payload of signs) {
        // A trusted peer (loopback, as app.inject connects from) sends the forwarded headers.
        const signed = await app.inject({ method: 'POST', url: '/s3/sign', headers: { ...auth, ...headers }, payload });
        assert.equal(signed.statusCode, 200, signed.body);
        assert.deepEqual(
          Object.keys(signed.json()).filter((name) => name !== 'key'),
          ['url'],
          'no headers echoed',
        );
        assert.doesNotMatch(signed.body, /s3p_/, 'the API key is not in the answer');
        urls.push(signed.json().url);
      }
    }
    return urls;
  };
  const trusting = { TRUST_PROXY: 'loopback' };
  for (const url of await controlUrls(trusting)) assert.match(url, /^\/s3\/uppy\/(uploads|parts|complete|upload)\?/);
  const based = await controlUrls({ ...trusting, PUBLIC_BASE_URL: 'https://uploads.example.com/presign/' });
  for (const url of based) {
    assert.match(url, /^https:\/\/uploads\.example\.com\/presign\/s3\/uppy\/(uploads|parts|complete|upload)\?/);
  }
});

test('/s3/sign and the Companion routes take checksums where each request has a use for them', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const sign = (payload: object) => app.inject({ method: 'POST', url: '/s3/sign', headers: auth, payload });
  const refusal = async (payload: object) => {
    const response = await sign(payload);
    return [response.statusCode, response.json().code, response.json().field];
  };
  const partValue = Buffer.alloc(32, 7).toString('base64');

  // Uppy 6: the algorithm goes with the create call, into the grant, and so into the upload.
  const create = await sign({ method: 'POST', key: 'x-clip.mp4', size: 12 * 2 ** 20, checksumAlgorithm: 'SHA256' });
  assert.equal(create.statusCode, 200, create.body);
  const initiated = await app.inject({
    method: 'POST',
    url: create.json().url,
    headers: { ...auth, 'content-type': 'video/mp4' },
  });
  assert.equal(initiated.statusCode, 200, initiated.body);
  const upload = {
    key: create.json().key as string,
    uploadId: /<UploadId>([^<]+)<\/UploadId>/.exec(initiated.body)?.[1] ?? '',
  };
  assert.deepEqual(await refusal({ method: 'PUT', ...upload, partNumber: 1 }), [400, 'CHECKSUM_MISSING', 'checksums']);
  assert.deepEqual(await refusal({ method: 'PUT', ...upload, partNumber: 1, checksum: 'AAAA' }), [
    400,
    'VALIDATION_FAILED',
    'checksums.0.value',
  ]);
  const part = await sign({ method: 'PUT', ...upload, partNumber: 1, checksum: partValue });
  assert.equal(part.statusCode, 200, part.body);
  assert.equal(part.json().headers['x-amz-checksum-sha256'], partValue);
  assert.match(part.json().url, /X-Amz-SignedHeaders=[^&]*x-amz-checksum-sha256/);

  // Each field only where its request has a use for it, and S3's rules at signing time.
  const cases: Array<[string, object, [number, string, string]]> = [
    [
      'CRC64NVME is full-object only',
      { method: 'POST', key: 'a.bin', size: 1, checksumAlgorithm: 'CRC64NVME', checksumType: 'COMPOSITE' },
      [400, 'CHECKSUM_TYPE_NOT_ALLOWED', 'checksumType'],
    ],
    [
      'a value on the create call',
      { method: 'POST', key: 'a.bin', size: 1, checksum: partValue },
      [400, 'VALIDATION_FAILED', 'checksum'],
    ],
    [
      'an algorithm on a part',
      { method: 'PUT', ...upload, partNumber: 1, checksum: partValue, checksumAlgorithm: 'SHA256' },
      [400, 'VALIDATION_FAILED', 'checksumAlgorithm'],
    ],
    [
      'a value on the completion',
      { method: 'POST', ...upload, checksum: partValue },
      [400, 'VALIDATION_FAILED', 'checksum'],
    ],
    [
      'a type on a whole-file PUT',
      { method: 'PUT', key: 'a.png', size: 1, checksumType: 'COMPOSITE' },
      [400, 'VALIDATION_FAILED', 'checksumType'],
    ],
    [
      'a whole-file value without its algorithm',
      { method: 'PUT', key: 'a.png', size: 1, checksum: partValue },
      [400, 'VALIDATION_FAILED', 'checksumAlgorithm'],
    ],
    [
      'a whole-file value of the wrong length',
      { method: 'PUT', key: 'a.png', size: 1, checksumAlgorithm: 'CRC32', checksum: partValue },
      [400, 'VALIDATION_FAILED', 'checksum'],
    ],
  ];
  for (const [what, payload, expected] of cases) assert.deepEqual(await refusal(payload), expected, what);

  // A whole file: a form field with its exact condition.
  const whole = await sign({ method: 'PUT', key: 'a.png', size: 1, checksumAlgorithm: 'SHA256', checksum: partValue });
  assert.equal(whole.statusCode, 200, whole.body);
  assert.equal(whole.json().fields['x-amz-checksum-sha256'], partValue);
  const conditions = JSON.parse(Buffer.from(whole.json().fields.Policy, 'base64').toString('utf8')).conditions;
  assert.deepEqual(
    conditions.filter((condition: unknown) => JSON.stringify(condition).includes('x-amz-checksum-sha256')),
    [{ 'x-amz-checksum-sha256': partValue }],
  );

  // Companion's routes: the algorithm as a meta field, a part's value in the query.
  const companion = (
    await app.inject({
      method: 'POST',
      url: '/s3/multipart',
      headers: auth,
      payload: { filename: 'a.bin', metadata: { size: '12582912', checksumAlgorithm: 'SHA256' } },
    })
  ).json();
  const partPath = `/s3/multipart/${encodeURIComponent(companion.uploadId)}/1?key=${encodeURIComponent(companion.key)}`;
  const missing = await app.inject({ method: 'GET', url: partPath, headers: auth });
  assert.deepEqual([missing.statusCode, missing.json().code], [400, 'CHECKSUM_MISSING']);
  const signed = await app.inject({
    method: 'GET',
    url: `${partPath}&checksum=${encodeURIComponent(partValue)}`,
    headers: auth,
  });
  assert.equal(signed.statusCode, 200, signed.body);
  assert.equal(signed.json().headers['x-amz-checksum-sha256'], partValue);
});

test("Companion's batch route: a query past Node's 16 KiB head is 431 HEADERS_TOO_LARGE saying what to shorten", async (t) => {
  const local = await startLocalApp(t);
  await local.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = local.app.server.address() as { port: number };
  // The route takes 1,000 part numbers; with SHA-512 values the request's head cannot hold them.
  const sha512 = `${'A'.repeat(86)}==`;
  const query = new URLSearchParams({
    key: 'k',
    partNumbers: Array.from({ length: 1000 }, (_, index) => index + 1).join(','),
    checksums: Array.from({ length: 1000 }, () => sha512).join(','),
  });
  const response = await fetch(`http://127.0.0.1:${port}/s3/multipart/u/batch?${query}`, { headers: local.auth });
  assert.equal(response.status, 431);
  const body = (await response.json()) as { code: string; message: string };
  assert.equal(body.code, 'HEADERS_TOO_LARGE');
  assert.match(body.message, /request line and headers are larger than Node's 16 KiB: .*fewer parts per batch/);
});

test("Companion's batch route signs up to 1,000 part numbers in one call, and refuses 1,001", async (t) => {
  const { app, auth } = await startLocalApp(t, { RATE_LIMIT_MAX: '5000' });
  const created = await app.inject({
    method: 'POST',
    url: '/s3/multipart',
    headers: auth,
    payload: { filename: 'big.bin', metadata: { size: 1001 * 5 * 1024 * 1024 } },
  });
  assert.equal(created.statusCode, 200, created.body);
  const { key, uploadId } = created.json();
  const batch = (count: number) =>
    app.inject({
      method: 'GET',
      url: `/s3/multipart/${encodeURIComponent(uploadId)}/batch?key=${encodeURIComponent(key)}&partNumbers=${Array.from({ length: count }, (_, index) => index + 1).join(',')}`,
      headers: auth,
    });
  const thousand = await batch(1000);
  assert.equal(thousand.statusCode, 200, thousand.body);
  assert.equal(Object.keys(thousand.json().presignedUrls).length, 1000);
  const over = await batch(1001);
  assert.deepEqual([over.statusCode, over.json().code, over.json().field], [400, 'VALIDATION_FAILED', 'partNumbers']);
});
