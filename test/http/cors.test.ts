// A browser preflight from an origin CORS does not allow gets a 403 that says so and how to
// allow it (it met "route OPTIONS /s3/sign does not exist" before), without repeating an
// Origin header no browser would send; an allowed origin gets the normal preflight answer.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startLocalApp } from '../helpers.js';

const preflightHeaders = (origin: string) => ({
  origin,
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'authorization,content-type',
});

test('without CORS_ORIGINS a preflight is refused with 403 CORS_ORIGIN_NOT_ALLOWED, saying how to allow it', async (t) => {
  const { app } = await startLocalApp(t);
  for (const url of ['/s3/sign', '/uploads', '/no/such/route']) {
    const response = await app.inject({ method: 'OPTIONS', url, headers: preflightHeaders('http://localhost:5173') });
    assert.equal(response.statusCode, 403, url);
    assert.deepEqual(response.json(), {
      statusCode: 403,
      code: 'CORS_ORIGIN_NOT_ALLOWED',
      error: 'Forbidden',
      message:
        'CORS refused origin http://localhost:5173: this service allows no browser origin (CORS_ORIGINS is not set). To allow it, start the service with CORS_ORIGINS=http://localhost:5173',
    });
    assert.equal(response.headers['access-control-allow-origin'], undefined);
    assert.equal(response.headers.vary, 'Origin');
    assert.match(String(response.headers['content-type']), /^application\/json/);
  }
  // Not a preflight (no Access-Control-Request-Method): routing answers as before.
  const plain = await app.inject({ method: 'OPTIONS', url: '/s3/sign', headers: { origin: 'http://localhost:5173' } });
  assert.equal(plain.statusCode, 404);
  assert.equal(plain.json().code, 'NOT_FOUND');
});

test('with CORS_ORIGINS an allowed origin gets the preflight answer, any other a 403 that names neither list nor secret', async (t) => {
  const { app } = await startLocalApp(t, { CORS_ORIGINS: 'https://app.example.test,http://localhost:5173' });
  const allowed = await app.inject({
    method: 'OPTIONS',
    url: '/s3/sign',
    headers: preflightHeaders('https://app.example.test'),
  });
  assert.equal(allowed.statusCode, 204);
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.test');
  assert.equal(allowed.headers['access-control-allow-methods'], 'GET, POST, DELETE');
  assert.equal(allowed.headers['access-control-allow-headers'], 'authorization, content-type');
  assert.equal(allowed.headers['access-control-max-age'], '600');

  const refused = await app.inject({
    method: 'OPTIONS',
    url: '/s3/sign',
    headers: preflightHeaders('https://evil.example.test'),
  });
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().code, 'CORS_ORIGIN_NOT_ALLOWED');
  assert.equal(
    refused.json().message,
    'CORS refused origin https://evil.example.test: it is not one of the origins in CORS_ORIGINS. To allow it, add it to CORS_ORIGINS (comma-separated: CORS_ORIGINS=…,https://evil.example.test)',
  );
  assert.equal(refused.headers['access-control-allow-origin'], undefined);
  // The allowlist is not handed to whoever asks.
  assert.doesNotMatch(refused.body, /app\.example\.test|localhost/);
});

test('an Origin no browser page would send is refused without being repeated', async (t) => {
  const { app } = await startLocalApp(t);
  const hostile = [
    'https://evil.example.test/<script>alert(1)</script>',
    'javascript:alert(1)',
    'https://EVIL.example.test',
    'https://evil.example.test:8080/path',
    `https://${'a'.repeat(300)}.example.test`,
    'https://evil.example.test\u00a0',
    '',
  ];
  for (const origin of hostile) {
    const response = await app.inject({ method: 'OPTIONS', url: '/uploads', headers: preflightHeaders(origin) });
    assert.equal(response.statusCode, 403, origin);
    assert.equal(
      response.json().message,
      "CORS refused the request's origin: this service allows no browser origin (CORS_ORIGINS is not set), and its Origin header is not a scheme://host[:port] origin that CORS_ORIGINS could list",
      origin,
    );
  }
  const sandboxed = await app.inject({ method: 'OPTIONS', url: '/uploads', headers: preflightHeaders('null') });
  assert.equal(sandboxed.statusCode, 403);
  assert.match(
    sandboxed.json().message,
    /^CORS refused origin "null" \(a sandboxed or file:\/\/ page\): .* "null" cannot be allowed/,
  );
});
