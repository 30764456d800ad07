// POST /dev/token: local mode's development token issuer. Its tokens are real JWTs the
// service verifies as the local frontend (users/{sub}/, the frontend routes), beside any
// clients file; the route answers loopback only, and exists in local mode only.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { buildApp } from '../../src/app.js';
import { developmentRegistry } from '../../src/auth/callers.js';
import {
  DEVELOPMENT_TOKEN_LIFETIME_SECONDS,
  DevelopmentTokenIssuer,
  LOCAL_FRONTEND_ID,
} from '../../src/local/development-tokens.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { configFrom, EXAMPLE_CREDENTIALS, startAwsModeApp, startLocalApp } from '../helpers.js';
import { startIssuer } from './jwks.js';

async function localAppWithTokens(
  t: TestContext,
  options: { clients?: unknown; issuerClock?: () => Date; env?: Record<string, string> } = {},
) {
  const developmentTokens = await DevelopmentTokenIssuer.create(options.issuerClock);
  const local = await startLocalApp(t, options.env, { developmentTokens }, options);
  const token = async (sub: string) => {
    const response = await local.app.inject({
      method: 'POST',
      url: '/dev/token',
      remoteAddress: '127.0.0.1',
      payload: { sub },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json().token as string;
  };
  return { ...local, developmentTokens, token };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test('POST /dev/token issues a short-lived JWT for the end user it names', async (t) => {
  const { app, logs } = await localAppWithTokens(t);
  const before = Math.floor(Date.now() / 1000);
  const response = await app.inject({
    method: 'POST',
    url: '/dev/token',
    remoteAddress: '127.0.0.1',
    payload: { sub: 'alice' },
  });
  assert.equal(response.statusCode, 200, response.body);
  assert.equal(response.headers['cache-control'], 'no-store');
  const body = response.json();
  assert.deepEqual(Object.keys(body).sort(), ['expiresAt', 'sub', 'token']);
  assert.equal(body.sub, 'alice');

  const claims = decodeJwt(body.token);
  assert.equal(decodeProtectedHeader(body.token).alg, 'ES256');
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.iss, 'urn:s3-presign:local-development');
  assert.equal(claims.aud, 's3-presign');
  assert.equal((claims.exp as number) - (claims.iat as number), DEVELOPMENT_TOKEN_LIFETIME_SECONDS);
  assert.ok((claims.iat as number) >= before);
  assert.equal(body.expiresAt, new Date((claims.exp as number) * 1000).toISOString());
  assert.ok(logs.lines.length > 0);
  assert.doesNotMatch(logs.text, new RegExp((body.token as string).split('.')[2] as string), 'no token in the logs');
});

test("a development token is the local frontend's: its own prefix, the frontend routes only", async (t) => {
  const { app, token } = await localAppWithTokens(t);
  const alice = bearer(await token('alice'));

  const upload = await app.inject({
    method: 'POST',
    url: '/uploads',
    headers: alice,
    payload: { filename: 'notes.txt', contentType: 'text/plain', contentLength: 5 },
  });
  assert.equal(upload.statusCode, 200, upload.body);
  assert.match(upload.json().key, /^users\/alice\/[0-9a-f-]{36}\/notes\.txt$/);
  // The URL works against the embedded store: the token bought a real grant.
  const stored = await fetch(upload.json().url, { method: 'PUT', headers: upload.json().headers, body: 'hello' });
  assert.equal(stored.status, 200);

  const own = await app.inject({
    method: 'POST',
    url: '/downloads',
    headers: alice,
    payload: { key: upload.json().key },
  });
  assert.equal(own.statusCode, 200, own.body);
  assert.equal(await (await fetch(own.json().url)).text(), 'hello');

  const others = await app.inject({
    method: 'POST',
    url: '/downloads',
    headers: alice,
    payload: { key: 'users/bob/secret.txt' },
  });
  assert.equal(others.statusCode, 403);
  assert.equal(others.json().code, 'KEY_PREFIX_NOT_ALLOWED');

  const presign = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: alice,
    payload: { operation: 'get', key: 'users/alice/x' },
  });
  assert.equal(presign.statusCode, 403);
  assert.equal(presign.json().code, 'ROUTE_NOT_ALLOWED');
  assert.match(presign.json().message, new RegExp(`caller ${LOCAL_FRONTEND_ID} is a frontend`));

  const multipart = await app.inject({
    method: 'POST',
    url: '/multipart',
    headers: alice,
    payload: { filename: 'big.bin', contentType: 'application/octet-stream', contentLength: 20 * 2 ** 20 },
  });
  assert.equal(multipart.statusCode, 200, multipart.body);
  assert.match(multipart.json().key, /^users\/alice\//);
});

test('development tokens work beside a clients file, whose callers keep working', async (t) => {
  const issuer = await startIssuer(t);
  const serviceKey = generateApiKey();
  const { app, token } = await localAppWithTokens(t, {
    clients: {
      clients: [
        { id: 'billing', apiKeySha256: hashApiKey(serviceKey), policy: { operations: ['get'], keyPrefixes: ['b/'] } },
        {
          id: 'web',
          jwt: { jwksUrl: issuer.jwksUrl, issuer: issuer.issuer, audience: 's3-presign', algorithms: ['ES256'] },
          policy: { operations: ['get'], keyPrefixes: ['web/{sub}/'] },
        },
      ],
    },
  });
  const download = (headers: object, key: string) =>
    app.inject({ method: 'POST', url: '/downloads', headers: { ...headers }, payload: { key } });

  assert.equal((await download(bearer(await token('carol')), 'users/carol/a')).statusCode, 200);
  assert.equal((await download(bearer(serviceKey), 'b/a')).statusCode, 200);
  const idpToken = await issuer.sign({ sub: 'carol', aud: 's3-presign' });
  assert.equal((await download(bearer(idpToken), 'web/carol/a')).statusCode, 200);
  // Each issuer's tokens carry its own policy: the identity provider's user is no local frontend.
  assert.equal((await download(bearer(idpToken), 'users/carol/a')).json().code, 'KEY_PREFIX_NOT_ALLOWED');
});

test('sub follows the rule every JWT subject follows', async (t) => {
  const { app } = await localAppWithTokens(t);
  const ask = (payload: unknown) =>
    app.inject({ method: 'POST', url: '/dev/token', remoteAddress: '127.0.0.1', payload: payload as object });
  for (const sub of ['auth0|123', 'a@b.example', '0b6c2b1e-4c1a-4c8e-9f0e-2a5d7f1c9e3b', 'x'.repeat(128), '...']) {
    assert.equal((await ask({ sub })).statusCode, 200, sub);
  }
  for (const payload of [
    {},
    { sub: '' },
    { sub: 'alice/../bob' },
    { sub: 'alice/x' },
    { sub: '..' },
    { sub: '.' },
    { sub: 'x'.repeat(129) },
    { sub: 'al ice' },
    { sub: 'ali\u0000ce' },
    { sub: 12345 },
    { sub: ['alice'] },
    { sub: 'alice', admin: true },
  ]) {
    const response = await ask(payload);
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    assert.equal(response.json().code, 'VALIDATION_FAILED');
    assert.match(response.json().field, /^(sub|admin)$/, JSON.stringify(payload));
  }
  const refused = await ask({ sub: 'alice/x' });
  assert.match(refused.json().message, /sub: must be 1-128 of A-Z a-z 0-9 \. _ @ : \| \+ = -, and not "\." or "\.\."/);
});

test('POST /dev/token answers only this machine, as if it did not exist for anyone else', async (t) => {
  // The peers below are believed when they name a client: request.ip would then be loopback.
  const { app } = await localAppWithTokens(t, { env: { TRUST_PROXY: '10.0.0.0/8' } });
  const unknownRoute = await app.inject({ method: 'POST', url: '/dev/tokens', remoteAddress: '10.1.2.3' });
  assert.equal(unknownRoute.statusCode, 404);
  for (const [index, request] of [
    { remoteAddress: '10.1.2.3', headers: { host: '127.0.0.1:8080' } },
    // The socket's peer counts, not X-Forwarded-For (though TRUST_PROXY believes this peer's).
    { remoteAddress: '10.1.2.3', headers: { host: '127.0.0.1:8080', 'x-forwarded-for': '127.0.0.1' } },
    { remoteAddress: '192.168.1.20', headers: { host: 'localhost:8080' } },
    { remoteAddress: '::ffff:10.1.2.3', headers: { host: 'localhost:8080' } },
    // A DNS-rebinding page: loopback peer, foreign Host.
    { remoteAddress: '127.0.0.1', headers: { host: 'attacker.example:8080' } },
  ].entries()) {
    const response = await app.inject({
      method: 'POST',
      url: '/dev/token',
      ...request,
      payload: { sub: 'alice' },
    });
    assert.equal(response.statusCode, 404, `${index}`);
    const refusal = response.json() as { message: string };
    assert.deepEqual(
      { ...refusal, message: refusal.message.replace('/dev/token', '/dev/tokens') },
      unknownRoute.json(),
      `${index}: the 404 of an unknown route`,
    );
    assert.doesNotMatch(response.body, /eyJ/);
  }
  for (const [remoteAddress, host] of [
    ['127.0.0.1', 'localhost:8080'],
    ['::1', '[::1]:8080'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
  ] as const) {
    const response = await app.inject({
      method: 'POST',
      url: '/dev/token',
      remoteAddress,
      headers: { host },
      payload: { sub: 'alice' },
    });
    assert.equal(response.statusCode, 200, `${remoteAddress} ${host}`);
  }
});

test('outside local mode there is no /dev/token, and no way to add one', async (t) => {
  const { app } = await startAwsModeApp(t, { S3_REGION: 'eu-west-3', S3_BUCKETS: 'my-bucket' });
  const response = await app.inject({
    method: 'POST',
    url: '/dev/token',
    remoteAddress: '127.0.0.1',
    payload: { sub: 'alice' },
  });
  assert.equal(response.statusCode, 404);
  assert.deepEqual(response.json(), {
    statusCode: 404,
    code: 'NOT_FOUND',
    error: 'Not Found',
    message: 'route POST /dev/token does not exist',
  });
  const demo = await app.inject({ method: 'GET', url: '/demo', remoteAddress: '127.0.0.1' });
  assert.equal(demo.statusCode, 404);

  const config = configFrom({
    S3_ENDPOINT_MODE: 'regional',
    S3_REGION: 'eu-west-3',
    S3_BUCKETS: 'my-bucket',
    AUTH_CLIENTS_FILE: '/dev/null',
  });
  await assert.rejects(
    buildApp(config, {
      callers: developmentRegistry(config, hashApiKey(generateApiKey())),
      credentials: staticCredentialSource(EXAMPLE_CREDENTIALS),
      developmentTokens: await DevelopmentTokenIssuer.create(),
      logger: false,
    }),
    /local mode only/,
  );
});

test('an expired development token, or one from an earlier start, is refused', async (t) => {
  // The issuer's clock a lifetime (and the verifier's 30 s tolerance) behind the service's.
  const behind = (DEVELOPMENT_TOKEN_LIFETIME_SECONDS + 31) * 1000;
  const { app, token } = await localAppWithTokens(t, { issuerClock: () => new Date(Date.now() - behind) });
  const download = (token: string) =>
    app.inject({ method: 'POST', url: '/downloads', headers: bearer(token), payload: { key: 'users/alice/a' } });

  const expired = await download(await token('alice'));
  assert.equal(expired.statusCode, 401);
  assert.equal(expired.json().code, 'AUTH_EXPIRED');

  // Another start made another key pair: its tokens mean nothing to this process.
  const earlierStart = await (await DevelopmentTokenIssuer.create()).issue('alice');
  const unknown = await download(earlierStart.token);
  assert.equal(unknown.statusCode, 401);
  assert.equal(unknown.json().code, 'AUTH_INVALID');
});
