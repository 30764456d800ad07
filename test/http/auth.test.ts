import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { startLocalApp } from '../helpers.js';
import { startIssuer, type Issuer } from './jwks.js';

const serviceKey = generateApiKey();
const readOnlyKey = generateApiKey();

function clients(issuer: Issuer) {
  return {
    clients: [
      {
        id: 'billing',
        apiKeySha256: hashApiKey(serviceKey),
        policy: {
          operations: ['get', 'put'],
          buckets: ['invoices'],
          keyPrefixes: ['billing/'],
          maxExpiresSeconds: 600,
          maxContentLength: 1000,
          contentTypes: ['application/pdf', 'image/*'],
        },
      },
      { id: 'reader', apiKeySha256: hashApiKey(readOnlyKey), policy: { operations: ['get'], keyPrefixes: [''] } },
      {
        id: 'web',
        jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: 's3-presign', algorithms: ['ES256'] },
        policy: { operations: ['get', 'put'], buckets: ['invoices'], keyPrefixes: ['users/{sub}/'] },
      },
    ],
  };
}

async function start(t: TestContext, env: Record<string, string> = {}) {
  const issuer = await startIssuer(t);
  const local = await startLocalApp(t, { S3_BUCKETS: 'invoices,other', ...env }, {}, { clients: clients(issuer) });
  const call = (token: string | undefined, payload: object, url = '/presign') =>
    local.app.inject({
      method: 'POST',
      url,
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      payload,
    });
  return { ...local, issuer, call };
}

test('401 without credentials, with a malformed header, an unknown key or a garbage token', async (t) => {
  const { app, call } = await start(t);
  const none = await call(undefined, { operation: 'get', key: 'billing/a' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'AUTH_REQUIRED');
  assert.equal(none.headers['www-authenticate'], 'Bearer realm="s3-presign"');

  const basic = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: { authorization: 'Basic dXNlcjpwYXNz' },
    payload: { operation: 'get', key: 'billing/a' },
  });
  assert.equal(basic.statusCode, 401);
  assert.equal(basic.json().code, 'AUTH_INVALID');
  for (const token of [
    generateApiKey(),
    's3p_short',
    'not-a-token',
    serviceKey.slice(0, -1) + (serviceKey.endsWith('A') ? 'B' : 'A'),
  ]) {
    const response = await call(token, { operation: 'get', key: 'billing/a' });
    assert.equal(response.statusCode, 401, token);
    assert.equal(response.json().code, 'AUTH_INVALID', token);
    assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
  }
  assert.equal((await call(serviceKey, { operation: 'get', key: 'billing/a' })).statusCode, 200);
});

test('403 names the policy rule that refused the request', async (t) => {
  const { call } = await start(t);
  const cases: Array<[string, object, number, string]> = [
    [readOnlyKey, { operation: 'put', key: 'x' }, 403, 'OPERATION_NOT_ALLOWED'],
    [serviceKey, { operation: 'get', key: 'billing/a', bucket: 'other' }, 403, 'BUCKET_NOT_ALLOWED'],
    [serviceKey, { operation: 'get', key: 'payroll/a' }, 403, 'KEY_PREFIX_NOT_ALLOWED'],
    [serviceKey, { operation: 'get', key: 'billing/a', expiresIn: 601 }, 403, 'EXPIRES_NOT_ALLOWED'],
    [
      serviceKey,
      { operation: 'put', key: 'billing/a', contentType: 'image/png', contentLength: 1001 },
      403,
      'CONTENT_LENGTH_NOT_ALLOWED',
    ],
    [
      serviceKey,
      { operation: 'put', key: 'billing/a', contentType: 'text/html', contentLength: 10 },
      403,
      'CONTENT_TYPE_NOT_ALLOWED',
    ],
    [serviceKey, { operation: 'put', key: 'billing/a', contentType: 'image/png' }, 400, 'CONTENT_LENGTH_REQUIRED'],
    [serviceKey, { operation: 'put', key: 'billing/a', contentLength: 10 }, 400, 'CONTENT_TYPE_REQUIRED'],
  ];
  for (const [key, payload, status, code] of cases) {
    const response = await call(key, payload);
    assert.equal(response.statusCode, status, `${JSON.stringify(payload)} → ${response.body}`);
    assert.equal(response.json().code, code, JSON.stringify(payload));
    assert.ok(response.json().field, 'the field at fault is named');
  }
  const allowed = await call(serviceKey, {
    operation: 'put',
    key: 'billing/a.png',
    contentType: 'image/png',
    contentLength: 10,
  });
  assert.equal(allowed.statusCode, 200, allowed.body);
  assert.equal(allowed.json().bucket, 'invoices', "the caller's first bucket is its default");
  assert.equal(allowed.json().expiresIn, 600, "the default expiry is capped by the caller's maximum");
});

test('JWT callers: valid, expired, wrong audience, wrong issuer, unknown kid, foreign key, alg none, unsafe sub', async (t) => {
  const { call: callPresign, issuer } = await start(t);
  const call = (token: string, payload: object) => callPresign(token, payload, '/downloads');
  const payload = { key: 'users/alice/a.txt' };
  const valid = await issuer.sign({ sub: 'alice', aud: 's3-presign' });
  assert.equal((await call(valid, payload)).statusCode, 200);

  const refusals: Array<[string, string, string]> = [
    [
      await issuer.sign({ sub: 'alice', aud: 's3-presign' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 }),
      'AUTH_EXPIRED',
      'expired',
    ],
    [await issuer.sign({ sub: 'alice', aud: 'another-api' }), 'AUTH_INVALID', 'wrong audience'],
    [
      await issuer.sign({ sub: 'alice', aud: 's3-presign', iss: 'https://evil.example.test/' }),
      'AUTH_INVALID',
      'wrong issuer',
    ],
    [await issuer.sign({ sub: 'alice', aud: 's3-presign' }, { kid: 'key-2' }), 'AUTH_INVALID', 'unknown kid'],
    [
      await issuer.sign({ sub: 'alice', aud: 's3-presign' }, { foreignKey: true }),
      'AUTH_INVALID',
      'signed by another key',
    ],
    [issuer.unsigned({ sub: 'alice', aud: 's3-presign' }), 'AUTH_INVALID', 'alg none'],
    [await issuer.sign({ sub: 'alice/../bob', aud: 's3-presign' }), 'AUTH_INVALID', 'unsafe subject'],
    [await issuer.sign({ aud: 's3-presign' }), 'AUTH_INVALID', 'no subject'],
    [valid.slice(0, -4) + (valid.endsWith('AAAA') ? 'BBBB' : 'AAAA'), 'AUTH_INVALID', 'tampered signature'],
  ];
  for (const [token, code, why] of refusals) {
    const response = await call(token, payload);
    assert.equal(response.statusCode, 401, `${why}: ${response.body}`);
    assert.equal(response.json().code, code, why);
  }
});

test('{sub} isolation: a user gets URLs only under their own prefix', async (t) => {
  const { call, issuer } = await start(t);
  const alice = await issuer.sign({ sub: 'alice', aud: 's3-presign' });
  assert.equal((await call(alice, { key: 'users/alice/report.pdf' }, '/downloads')).statusCode, 200);
  for (const key of ['users/bob/report.pdf', 'users/alice-evil/x', 'users/alicex/x', 'users/alice']) {
    const response = await call(alice, { key }, '/downloads');
    assert.equal(response.statusCode, 403, key);
    assert.equal(response.json().code, 'KEY_PREFIX_NOT_ALLOWED', key);
  }
  const bobDownload = await call(alice, { key: 'users/bob/report.pdf' }, '/downloads');
  assert.equal(bobDownload.statusCode, 403);
  const upload = await call(alice, { filename: 'me.png', contentType: 'image/png', contentLength: 3 }, '/uploads');
  assert.equal(upload.statusCode, 200, upload.body);
  assert.match(upload.json().key, /^users\/alice\/[0-9a-f-]{36}\/me\.png$/);
});

test('POST /presign/batch answers every item on its own', async (t) => {
  const { call } = await start(t);
  const response = await call(
    serviceKey,
    {
      items: [
        { operation: 'get', key: 'billing/1.pdf' },
        { operation: 'get', key: 'payroll/1.pdf' },
        { operation: 'get' },
        { operation: 'get', key: 'billing/2.pdf', surprise: 1 },
        { operation: 'put', key: 'billing/3.pdf', contentType: 'application/pdf', contentLength: 5 },
        'not even an object',
      ],
    },
    '/presign/batch',
  );
  assert.equal(response.statusCode, 200, response.body);
  const { results } = response.json();
  assert.equal(results.length, 6);
  assert.deepEqual(
    results.map((result: { ok: boolean; error?: { code: string } }) => (result.ok ? 'ok' : result.error?.code)),
    ['ok', 'KEY_PREFIX_NOT_ALLOWED', 'VALIDATION_FAILED', 'VALIDATION_FAILED', 'ok', 'VALIDATION_FAILED'],
  );
  assert.equal(results[2].error.field, 'key');
  assert.equal(results[3].error.field, 'surprise');
  assert.equal(results[4].result.method, 'PUT');

  const tooMany = await call(
    serviceKey,
    { items: Array.from({ length: 101 }, () => ({ operation: 'get', key: 'billing/x' })) },
    '/presign/batch',
  );
  assert.equal(tooMany.statusCode, 400);
  assert.equal(tooMany.json().field, 'items');
  const unauthenticated = await call(undefined, { items: [] }, '/presign/batch');
  assert.equal(unauthenticated.statusCode, 401);
});

test('rate limits per caller: 429 with Retry-After, other callers unaffected', async (t) => {
  const { call } = await start(t, { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '60' });
  const payload = { operation: 'get', key: 'billing/a' };
  for (let i = 0; i < 3; i++) assert.equal((await call(serviceKey, payload)).statusCode, 200);
  const limited = await call(serviceKey, payload);
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().code, 'RATE_LIMITED');
  assert.ok(Number(limited.headers['retry-after']) > 0, 'Retry-After is set');
  assert.equal((await call(readOnlyKey, { operation: 'get', key: 'x' })).statusCode, 200);
});

test('a batch counts every URL against the caller (one process): served whole or refused whole', async (t) => {
  const { call } = await start(t, { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '60' });
  const items = (n: number) => ({ items: Array.from({ length: n }, () => ({ operation: 'get', key: 'billing/a' })) });
  const three = await call(serviceKey, items(3), '/presign/batch');
  assert.equal(three.statusCode, 200, three.body);
  assert.equal(three.headers['x-ratelimit-remaining'], '2');
  const tooMany = await call(serviceKey, items(3), '/presign/batch');
  assert.equal(tooMany.statusCode, 429, tooMany.body);
  assert.equal(tooMany.json().code, 'RATE_LIMITED');
  assert.ok(Number(tooMany.headers['retry-after']) > 0);
  // The refused batch cost its request only: one URL is left.
  assert.equal((await call(serviceKey, { operation: 'get', key: 'billing/a' })).statusCode, 200);
  assert.equal((await call(serviceKey, { operation: 'get', key: 'billing/a' })).statusCode, 429);
});

test('CORS: allowed origins get a preflight answer, others do not', async (t) => {
  const { app } = await start(t, { CORS_ORIGINS: 'https://app.example.test' });
  const preflight = (origin: string) =>
    app.inject({
      method: 'OPTIONS',
      url: '/uploads',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
  const allowed = await preflight('https://app.example.test');
  assert.equal(allowed.statusCode, 204);
  assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example.test');
  assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
  const refused = await preflight('https://evil.example.test');
  assert.equal(refused.headers['access-control-allow-origin'], undefined);
  assert.equal(refused.statusCode, 403);
  assert.equal(refused.json().code, 'CORS_ORIGIN_NOT_ALLOWED');
});

test('security headers are set on API responses', async (t) => {
  const { call } = await start(t);
  const response = await call(serviceKey, { operation: 'get', key: 'billing/a' });
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.match(String(response.headers['content-security-policy']), /default-src 'self'/);
  assert.match(String(response.headers['strict-transport-security']), /max-age=/);
});

test('API keys and tokens never reach the logs', async (t) => {
  const { call, issuer, logs } = await start(t, { LOG_LEVEL: 'trace' });
  const token = await issuer.sign({ sub: 'alice', aud: 's3-presign' });
  await call(serviceKey, { operation: 'get', key: 'billing/a' });
  await call(token, { key: 'users/alice/a' }, '/downloads');
  await call(generateApiKey(), { operation: 'get', key: 'x' });
  assert.ok(logs.lines.length > 3);
  for (const secret of [serviceKey, token, token.split('.')[2] as string]) {
    assert.ok(!logs.text.includes(secret), 'a credential reached the logs');
  }
  assert.match(logs.text, /"caller":"billing"/, 'the caller is identified by id');
});

/** A frontend client whose key set lives at `jwksUrl`, asked for a URL with a valid token. */
async function presignWithJwks(t: TestContext, jwksUrl: (issuer: Issuer) => string) {
  const issuer = await startIssuer(t);
  const token = await issuer.sign({ sub: 'alice', aud: 's3-presign' });
  const jwt = { jwksUrl: jwksUrl(issuer), issuer: issuer.issuer, audience: 's3-presign', algorithms: ['ES256'] };
  const policy = { operations: ['get'], keyPrefixes: ['users/{sub}/'] };
  const { app } = await startLocalApp(
    t,
    { S3_BUCKETS: 'invoices' },
    {},
    { clients: { clients: [{ id: 'web', jwt, policy }] } },
  );
  return app.inject({
    method: 'POST',
    url: '/downloads',
    headers: { authorization: `Bearer ${token}` },
    payload: { key: 'users/alice/a' },
  });
}

test('an unreachable JWKS is the service’s problem (503 AUTH_UNAVAILABLE), not the caller’s', async (t) => {
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const response = await presignWithJwks(t, () => 'http://127.0.0.1:9/jwks.json');
  assert.equal(response.statusCode, 503, response.body);
  assert.equal(response.json().code, 'AUTH_UNAVAILABLE');
});

test('an issuer whose JWKS answers 404 is unavailable too, not a bad token', async (t) => {
  const response = await presignWithJwks(t, (issuer) => issuer.jwksUrl.replace('/jwks.json', '/moved.json'));
  assert.equal(response.statusCode, 503, response.body);
  assert.equal(response.json().code, 'AUTH_UNAVAILABLE');
});

test('CORS: without CORS_ORIGINS no browser origin is allowed', async (t) => {
  const { app } = await start(t);
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/uploads',
    headers: { origin: 'https://app.example.test', 'access-control-request-method': 'POST' },
  });
  assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  assert.equal(preflight.statusCode, 403);
  const simple = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: { origin: 'https://app.example.test', authorization: `Bearer ${serviceKey}` },
    payload: { operation: 'get', key: 'billing/a' },
  });
  assert.equal(simple.statusCode, 200);
  assert.equal(simple.headers['access-control-allow-origin'], undefined);
});
