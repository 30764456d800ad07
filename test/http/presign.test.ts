import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalApp } from '../helpers.js';

const SIGNATURE = /X-Amz-Signature=[0-9a-f]{64}/;

test('POST /presign returns a validated GET URL with the response shape', async (t) => {
  const { app, s3, auth } = await startLocalApp(t);
  const response = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'a b/c.txt' },
  });
  assert.equal(response.statusCode, 200);
  const body = response.json();
  assert.equal(body.method, 'GET');
  assert.deepEqual(body.headers, {});
  assert.equal(body.bucket, 'local-uploads');
  assert.equal(body.key, 'a b/c.txt');
  assert.equal(body.expiresIn, 900);
  assert.deepEqual(body.endpoint, { mode: 'local', host: s3.endpoint.host });
  assert.ok(body.url.startsWith(`${s3.endpoint.origin}/local-uploads/a%20b/c.txt?`), body.url);
  assert.match(body.url, SIGNATURE);
  assert.ok(!/x-amz-checksum/i.test(body.url));
  assert.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + 900_000)) < 60_000);
});

test('POST /presign PUT binds content type, length and checksum and lists them as headers', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const checksumSha256 = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';
  const response = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: {
      operation: 'put',
      key: 'up.bin',
      contentType: 'image/png',
      contentLength: 4,
      checksumSha256,
      expiresIn: 60,
    },
  });
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json();
  assert.equal(body.method, 'PUT');
  const url = new URL(body.url);
  // Provenance (on by default): the caller, and the grant the URL itself names.
  const grant = url.searchParams.get('x-s3p-grant');
  assert.match(grant ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(body.headers, {
    'content-type': 'image/png',
    'content-length': '4',
    'x-amz-checksum-sha256': checksumSha256,
    'x-amz-meta-uploaded-by': 'local-developer',
    'x-amz-meta-grant': grant,
  });
  assert.equal(
    url.searchParams.get('X-Amz-SignedHeaders'),
    'content-length;content-type;host;x-amz-checksum-sha256;x-amz-meta-grant;x-amz-meta-uploaded-by',
  );
  assert.equal(url.searchParams.get('X-Amz-Expires'), '60');
});

test('POST /presign refuses bad input with 400 naming the field', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const cases: Array<[unknown, string, string]> = [
    [{ operation: 'get' }, 'key', 'VALIDATION_FAILED'],
    [{ operation: 'delete', key: 'k' }, 'operation', 'VALIDATION_FAILED'],
    [{ operation: 'get', key: 'k', extra: true }, 'extra', 'VALIDATION_FAILED'],
    [{ operation: 'get', key: '../etc/passwd' }, 'key', 'INVALID_KEY'],
    [{ operation: 'get', key: '/leading' }, 'key', 'INVALID_KEY'],
    [{ operation: 'get', key: 'line\nbreak' }, 'key', 'INVALID_KEY'],
    [{ operation: 'get', key: 'x'.repeat(1025) }, 'key', 'VALIDATION_FAILED'],
    [{ operation: 'get', key: 'é'.repeat(513) }, 'key', 'INVALID_KEY'],
    [{ operation: 'get', key: 'k', expiresIn: 0 }, 'expiresIn', 'VALIDATION_FAILED'],
    [{ operation: 'get', key: 'k', expiresIn: 3601 }, 'expiresIn', 'INVALID_EXPIRES'],
    [{ operation: 'get', key: 'k', expiresIn: 1.5 }, 'expiresIn', 'VALIDATION_FAILED'],
    [{ operation: 'put', key: 'k', contentType: 'text/plain\r\nx-evil: 1' }, 'contentType', 'VALIDATION_FAILED'],
    [{ operation: 'put', key: 'k', contentLength: -1 }, 'contentLength', 'VALIDATION_FAILED'],
    [{ operation: 'put', key: 'k', checksumSha256: 'abc' }, 'checksumSha256', 'VALIDATION_FAILED'],
    [{ operation: 'get', key: 'k', contentType: 'text/plain' }, 'contentType', 'VALIDATION_FAILED'],
    [
      { operation: 'put', key: 'k', responseContentDisposition: 'attachment' },
      'responseContentDisposition',
      'VALIDATION_FAILED',
    ],
    [
      { operation: 'get', key: 'k', responseContentDisposition: 'attachment; filename="\ud800.txt"' },
      'responseContentDisposition',
      'VALIDATION_FAILED',
    ],
    [{ operation: 'get', key: 'k', bucket: 'Not A Bucket!' }, 'bucket', 'BUCKET_NOT_ALLOWED'],
  ];
  for (const [payload, field, code] of cases) {
    const response = await app.inject({ method: 'POST', url: '/presign', headers: auth, payload: payload as object });
    const body = response.json();
    const expectedStatus = code === 'BUCKET_NOT_ALLOWED' ? 403 : 400;
    assert.equal(response.statusCode, expectedStatus, `${JSON.stringify(payload)} → ${response.body}`);
    assert.deepEqual(Object.keys(body).sort(), ['code', 'error', 'field', 'message', 'statusCode']);
    assert.equal(body.code, code, JSON.stringify(payload));
    assert.equal(body.field, field, JSON.stringify(payload));
    assert.match(body.message, new RegExp(field === 'extra' ? 'unknown field extra' : '.'));
  }
});

test('POST /presign refuses buckets off the allowlist with 403', async (t) => {
  const { app, auth } = await startLocalApp(t, { S3_BUCKETS: 'first,second' });
  const allowed = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'k', bucket: 'second' },
  });
  assert.equal(allowed.statusCode, 200);
  assert.equal(allowed.json().bucket, 'second');
  const refused = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'k', bucket: 'third' },
  });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().code, 'BUCKET_NOT_ALLOWED');
});

test('bodies: wrong media type is 415, oversized is 413, broken JSON is 400, unknown route is 404', async (t) => {
  const { app, auth } = await startLocalApp(t, { REQUEST_BODY_LIMIT: '1024' });
  const text = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: { ...auth, 'content-type': 'text/plain' },
    payload: 'hi',
  });
  assert.equal(text.statusCode, 415);
  assert.equal(text.json().code, 'UNSUPPORTED_MEDIA_TYPE');
  const big = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'k'.repeat(2000) },
  });
  assert.equal(big.statusCode, 413);
  assert.equal(big.json().code, 'BODY_TOO_LARGE');
  const broken = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: { ...auth, 'content-type': 'application/json' },
    payload: '{"operation":',
  });
  assert.equal(broken.statusCode, 400);
  assert.equal(broken.json().code, 'VALIDATION_FAILED');
  const missing = await app.inject({ method: 'GET', url: '/nope?X-Amz-Signature=secret' });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'NOT_FOUND');
  assert.ok(!missing.body.includes('secret'));
});

test('a URL that fails validation is never returned: 500 with the check code, logged, counted', async (t) => {
  // The signer reads the real clock, the validator one 10 minutes behind it: to the validator
  // the URL is signed in the future, so it must refuse it.
  let calls = 0;
  const { app, logs, auth } = await startLocalApp(
    t,
    {},
    {
      now: () => new Date(Date.now() - (calls++ % 2 === 0 ? 0 : 600_000)),
    },
  );
  const response = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'k' },
  });
  assert.equal(response.statusCode, 500, response.body);
  const body = response.json();
  assert.equal(body.code, 'URL_DATE_SKEW');
  assert.ok(!body.message.includes('X-Amz-Signature'));
  assert.ok(!('url' in body));
  assert.match(logs.text, /failed validation and was not returned/);
  assert.ok(!SIGNATURE.test(logs.text), 'no signature in the logs');
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  assert.match(metrics.body, /s3presign_urls_rejected_total\{code="URL_DATE_SKEW"\} 1/);
});

test('a checksum the store does not verify is refused with 400 CHECKSUM_NOT_VERIFIED, on every route that signs one', async (t) => {
  const { app, auth } = await startLocalApp(t, { S3_STORE_CHECKSUMS: 'none' });
  const checksumSha256 = 'n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=';
  const put = { operation: 'put', key: 'up.bin', contentType: 'image/png', contentLength: 4 };
  const refusedAs = (response: { statusCode: number; json(): Record<string, unknown> }, field: string) => {
    assert.equal(response.statusCode, 400);
    const body = response.json();
    assert.equal(body.code, 'CHECKSUM_NOT_VERIFIED');
    assert.equal(body.field, field);
    assert.match(
      body.message as string,
      /store does not verify SHA-256 checksums \(S3_STORE_CHECKSUMS=none\): a signed checksumSha256 would not stop other bytes/,
    );
  };

  refusedAs(
    await app.inject({ method: 'POST', url: '/presign', headers: auth, payload: { ...put, checksumSha256 } }),
    'checksumSha256',
  );
  refusedAs(
    await app.inject({
      method: 'POST',
      url: '/uploads',
      headers: auth,
      payload: { filename: 'a.png', contentType: 'image/png', contentLength: 4, checksumSha256 },
    }),
    'checksumSha256',
  );
  const batch = await app.inject({
    method: 'POST',
    url: '/presign/batch',
    headers: auth,
    payload: { items: [{ ...put, checksumSha256 }, put] },
  });
  assert.equal(batch.statusCode, 200);
  const [refused, signed] = batch.json().results;
  assert.deepEqual(
    [refused.ok, refused.error.code, refused.error.field, signed.ok],
    [false, 'CHECKSUM_NOT_VERIFIED', 'checksumSha256', true],
  );
  // Without the checksum the upload is signed as ever.
  const plain = await app.inject({ method: 'POST', url: '/presign', headers: auth, payload: put });
  assert.equal(plain.statusCode, 200, plain.body);
  const { 'x-amz-meta-grant': _grant, 'x-amz-meta-uploaded-by': _by, ...headers } = plain.json().headers;
  assert.deepEqual(headers, { 'content-type': 'image/png', 'content-length': '4' });
});
