// Route families by caller kind: frontends (JWT) get /uploads and /downloads, and /presign and
// /presign/batch only when their policy opens them; services (API keys) get every route.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import Fastify from 'fastify';
import { authentication } from '../../src/auth/authentication.js';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { callerRegistryFrom } from '../../src/auth/callers.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { configFrom, startLocalApp } from '../helpers.js';
import { startIssuer } from './jwks.js';

const serviceKey = generateApiKey();

async function start(t: TestContext) {
  const issuer = await startIssuer(t);
  // Two frontends on two audiences of one identity provider: one closed, one opened.
  const jwt = (audience: string) => ({ jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience });
  const frontendPolicy = { operations: ['get', 'put'], keyPrefixes: ['users/{sub}/'] };
  const local = await startLocalApp(
    t,
    {},
    {},
    {
      clients: {
        clients: [
          {
            id: 'service',
            apiKeySha256: hashApiKey(serviceKey),
            policy: { operations: ['get', 'put'], keyPrefixes: [''] },
          },
          { id: 'web', jwt: jwt('web'), policy: frontendPolicy },
          { id: 'web-open', jwt: jwt('web-open'), policy: { ...frontendPolicy, presignRoutes: true } },
          { id: 'web-shut', jwt: jwt('web-shut'), policy: { ...frontendPolicy, presignRoutes: false } },
        ],
      },
    },
  );
  const tokenFor = (audience: string) => issuer.sign({ sub: 'alice', aud: audience });
  const call = (credential: string, url: string, payload: object) =>
    local.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${credential}` }, payload });
  return { ...local, tokenFor, call };
}

const presignBody = { operation: 'get', key: 'users/alice/a.txt' };
const batchBody = { items: [presignBody, { operation: 'put', key: 'users/alice/b.txt' }] };
const uploadBody = { filename: 'a.png', contentType: 'image/png', contentLength: 3 };
const downloadBody = { key: 'users/alice/a.txt' };

test('a frontend without presignRoutes gets 403 ROUTE_NOT_ALLOWED on /presign and /presign/batch', async (t) => {
  const { call, tokenFor } = await start(t);
  for (const audience of ['web', 'web-shut']) {
    const token = await tokenFor(audience);
    for (const [url, body] of [
      ['/presign', presignBody],
      ['/presign/batch', batchBody],
    ] as const) {
      const response = await call(token, url, body);
      assert.equal(response.statusCode, 403, `${audience} ${url}: ${response.body}`);
      const error = response.json();
      assert.equal(error.code, 'ROUTE_NOT_ALLOWED');
      assert.match(error.message, /\bpresign routes\b/, 'the refusal names the route family');
      assert.match(error.message, /presignRoutes/, 'and the policy switch that would open it');
      assert.ok(!('results' in error), 'no item of the batch was answered');
    }
    // Its own routes stay open.
    assert.equal((await call(token, '/uploads', uploadBody)).statusCode, 200);
    assert.equal((await call(token, '/downloads', downloadBody)).statusCode, 200);
  }
});

test('presignRoutes: true opens /presign and /presign/batch to a frontend, inside its policy', async (t) => {
  const { call, tokenFor } = await start(t);
  const token = await tokenFor('web-open');
  const single = await call(token, '/presign', presignBody);
  assert.equal(single.statusCode, 200, single.body);
  assert.equal(single.json().key, 'users/alice/a.txt');
  const batch = await call(token, '/presign/batch', {
    items: [...batchBody.items, { operation: 'get', key: 'users/bob/a.txt' }],
  });
  assert.equal(batch.statusCode, 200, batch.body);
  assert.deepEqual(
    batch.json().results.map((result: { ok: boolean; error?: { code: string } }) => result.error?.code ?? 'ok'),
    ['ok', 'ok', 'KEY_PREFIX_NOT_ALLOWED'],
    'the opened routes still hold the caller to its {sub} prefix',
  );
});

test('services keep every route', async (t) => {
  const { call } = await start(t);
  for (const [url, body] of [
    ['/presign', presignBody],
    ['/presign/batch', batchBody],
    ['/uploads', uploadBody],
    ['/downloads', downloadBody],
  ] as const) {
    const response = await call(serviceKey, url, body);
    assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
  }
});

test('the route check comes after authentication: a bad token on /presign is still 401', async (t) => {
  const { call, app } = await start(t);
  assert.equal((await call('not-a-token', '/presign', presignBody)).json().code, 'AUTH_INVALID');
  const none = await app.inject({ method: 'POST', url: '/presign/batch', payload: batchBody });
  assert.equal(none.json().code, 'AUTH_REQUIRED');
});

test('a route that declares no access is for services only', async (t) => {
  // The service's own authentication plugin and error handler, with a route that forgot to
  // declare its access (as a new route might) beside one that declares it open.
  const issuer = await startIssuer(t);
  const config = configFrom({ S3_ENDPOINT_MODE: 'local' });
  const registry = callerRegistryFrom(
    {
      clients: [
        { id: 'service', apiKeySha256: hashApiKey(serviceKey), policy: { operations: ['get'], keyPrefixes: [''] } },
        {
          id: 'web',
          jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: 'web' },
          policy: { operations: ['get'], keyPrefixes: ['users/{sub}/'], presignRoutes: true },
        },
      ],
    },
    config,
  );
  assert.ok(registry.ok);
  const app = Fastify();
  t.after(() => app.close());
  await app.register(errorHandler);
  await app.register(async (api) => {
    await api.register(authentication, { callers: registry.registry });
    api.post('/multipart/complete', async () => ({ done: true }));
    api.post('/opened', { config: { access: { family: 'opened', frontends: 'open' } } }, async () => ({ done: true }));
  });
  const token = await issuer.sign({ sub: 'alice', aud: 'web' });
  const post = (credential: string, url: string) =>
    app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${credential}` }, payload: {} });

  const undeclared = await post(token, '/multipart/complete');
  assert.equal(undeclared.statusCode, 403, undeclared.body);
  assert.equal(undeclared.json().code, 'ROUTE_NOT_ALLOWED');
  assert.match(undeclared.json().message, /\/multipart\/complete routes: they are for services/);
  assert.equal((await post(token, '/opened')).statusCode, 200);
  assert.equal((await post(serviceKey, '/multipart/complete')).statusCode, 200);
});

test('presignRoutes on an API-key client is a start-up error, on a JWT client it is accepted', () => {
  const config = configFrom({ S3_ENDPOINT_MODE: 'local' });
  const service = (presignRoutes: boolean) => ({
    id: 'svc',
    apiKeySha256: hashApiKey(generateApiKey()),
    policy: { operations: ['get'], keyPrefixes: [''], presignRoutes },
  });
  for (const value of [true, false]) {
    const result = callerRegistryFrom({ clients: [service(value)] }, config);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.problems.join('\n'), /clients\.0 \(svc\): presignRoutes is for JWT clients/);
  }
  const notBoolean = callerRegistryFrom(
    {
      clients: [
        {
          id: 'web',
          jwt: { jwksUrl: 'https://idp.example.test/jwks', issuer: 'i', audience: 'a' },
          policy: { operations: ['get'], keyPrefixes: [''], presignRoutes: 'yes' },
        },
      ],
    },
    config,
  );
  assert.equal(notBoolean.ok, false);
  assert.match(notBoolean.ok ? '' : notBoolean.problems.join('\n'), /presignRoutes/);
});
