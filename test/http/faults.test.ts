// Dependencies that hang or fail, served for real on loopback: a JWKS endpoint that never
// answers, an S3 endpoint that accepts TCP and never answers, and the ECS/EKS container
// credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI, through the SDK's own provider
// chain) that hangs, fails, recovers and rotates. Each fault is bounded, confined to what
// needs the dependency, and recovered from without a restart.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildApp } from '../../src/app.js';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { developmentRegistry } from '../../src/auth/callers.js';
import { sdkChainCredentialSource } from '../../src/presign/create-presigner.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { configFrom, startLocalApp, UNCHECKED_CREDENTIALS } from '../helpers.js';

/** Accepts connections and never writes a byte: a dependency that hangs. */
async function blackHole(t: TestContext): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

/** A guard against hanging, far above each bound: the machine is shared, this is no benchmark. */
async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

test('a JWKS endpoint that hangs: JWT callers get 503 AUTH_UNAVAILABLE in bounded time, API-key callers are unaffected', async (t) => {
  const port = await blackHole(t);
  const apiKey = generateApiKey();
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  void (await exportJWK(publicKey));
  const issuer = 'https://id.example.test/';
  const { app } = await startLocalApp(
    t,
    { LOG_LEVEL: 'silent' },
    {},
    {
      clients: {
        clients: [
          { id: 'service', apiKeySha256: hashApiKey(apiKey), policy: { operations: ['get'], keyPrefixes: [''] } },
          {
            id: 'web',
            jwt: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer, audience: 's3-presign' },
            policy: { operations: ['get'], keyPrefixes: ['users/{sub}/'] },
          },
        ],
      },
    },
  );
  const token = await new SignJWT({ sub: 'alice' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(issuer)
    .setAudience('s3-presign')
    .setExpirationTime('5m')
    .sign(privateKey);
  const call = (authorization: string, key: string) =>
    app.inject({ method: 'POST', url: '/presign', headers: { authorization }, payload: { operation: 'get', key } });

  let apiKeyDoneAt = Infinity;
  const jwt = timed(() => call(`Bearer ${token}`, 'users/alice/a'));
  const service = call(`Bearer ${apiKey}`, 'b').then((response) => {
    apiKeyDoneAt = performance.now();
    return response;
  });
  assert.equal((await service).statusCode, 200, 'the API-key caller is served while the JWKS fetch hangs');
  const { result, ms } = await jwt;
  assert.ok(apiKeyDoneAt < performance.now() - 100, 'the API-key caller did not wait for the JWKS');
  assert.equal(result.statusCode, 503, result.body);
  assert.equal(result.json().code, 'AUTH_UNAVAILABLE');
  assert.ok(ms < 20_000, `answered after ${Math.round(ms)} ms (jose's JWKS timeout is 3 s)`);
});

test('an S3 endpoint that accepts TCP and never answers: /healthz 503 within its timeout, presigning unaffected', async (t) => {
  const port = await blackHole(t);
  // One timeout for both checks: the S3 check must run into it and the TCP check must not. At
  // 500 ms a loopback connect missed it beside other test files; 2 s gives margin.
  const config = configFrom({
    S3_ENDPOINT_MODE: 'local',
    LOCAL_S3_PORT: String(port),
    HEALTH_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'silent',
  });
  const apiKey = generateApiKey();
  const app = await buildApp(config, {
    callers: developmentRegistry(config, hashApiKey(apiKey)),
    credentials: staticCredentialSource(UNCHECKED_CREDENTIALS),
    logger: false,
  });
  t.after(() => app.close());

  let presignedAt = Infinity;
  const health = timed(() => app.inject({ method: 'GET', url: '/healthz' }));
  const presign = app
    .inject({
      method: 'POST',
      url: '/presign',
      headers: { authorization: `Bearer ${apiKey}` },
      payload: { operation: 'put', key: 'k', contentType: 'text/plain' },
    })
    .then((response) => {
      presignedAt = performance.now();
      return response;
    });
  assert.equal((await presign).statusCode, 200, 'signing is offline: no S3 round trip');
  const { result, ms } = await health;
  assert.ok(presignedAt < performance.now(), 'the presign answered before /healthz');
  assert.equal(result.statusCode, 503, result.body);
  const checks = Object.fromEntries(
    result.json().checks.map((check: { name: string; ok: boolean; code?: string }) => [check.name, check]),
  );
  assert.equal(checks.tcp.ok, true, 'TCP connects');
  assert.equal(checks.s3.code, 'S3_TIMEOUT');
  assert.ok(ms < 20_000, `answered after ${Math.round(ms)} ms (each check times out at 2 s)`);
});

/** The ECS/EKS container credentials endpoint, in a mode the test switches. */
async function containerCredentials(t: TestContext) {
  const state = { mode: 'ok' as 'ok' | 'fail' | 'hang', lifetimeMs: 60 * 60_000, served: 0 };
  const issued = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createHttpServer((request, response) => {
    if (state.mode === 'hang') return;
    if (state.mode === 'fail') {
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"unavailable"}');
      return;
    }
    state.served += 1;
    const accessKeyId = `ASIACONTAINER${String(state.served).padStart(7, '0')}`;
    const expiration = Date.now() + state.lifetimeMs;
    issued.set(accessKeyId, expiration);
    response.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: accessKeyId,
        SecretAccessKey: `secret-${state.served}`,
        Token: `token-${state.served}`,
        Expiration: new Date(expiration).toISOString(),
      }),
    );
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { state, issued, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/creds` };
}

test('container credentials that hang, fail and rotate: 503 CREDENTIALS_UNAVAILABLE in bounded time, recovery, and no URL outlives its credentials', async (t) => {
  const endpoint = await containerCredentials(t);
  // Only the container provider can answer: no keys in the environment, no profile, no IMDS.
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) {
    delete process.env[name];
  }
  Object.assign(process.env, {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: endpoint.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  });
  // The service's own wiring of the SDK's default chain, with shorter bounds for the test.
  const source = await sdkChainCredentialSource({ fetchTimeoutMs: 1500, retryAfterMs: 200 });
  const { app, auth } = await startLocalApp(
    t,
    { LOG_LEVEL: 'silent', PRESIGN_MAX_EXPIRES: '3600' },
    { credentials: source },
  );
  const presign = () =>
    app.inject({
      method: 'POST',
      url: '/presign',
      headers: auth,
      payload: { operation: 'get', key: 'k', expiresIn: 3600 },
    });
  const urls: string[] = [];
  const issue = async () => {
    const response = await presign();
    if (response.statusCode === 200) urls.push(response.json().url);
    return response;
  };

  endpoint.state.mode = 'hang';
  const hung = await timed(issue);
  assert.equal(hung.result.statusCode, 503, hung.result.body);
  assert.equal(hung.result.json().code, 'CREDENTIALS_UNAVAILABLE');
  assert.ok(hung.ms < 15_000, `answered after ${Math.round(hung.ms)} ms (bound 1.5 s)`);

  endpoint.state.mode = 'fail';
  await new Promise((resolve) => setTimeout(resolve, 250));
  const failed = await timed(issue);
  assert.equal(failed.result.statusCode, 503);
  assert.equal(failed.result.json().code, 'CREDENTIALS_UNAVAILABLE');

  // The endpoint answers again: the next request after the back-off signs. These credentials
  // live 8 minutes, so a URL asked for an hour lives 7 (their life, less a minute).
  endpoint.state.mode = 'ok';
  endpoint.state.lifetimeMs = 8 * 60_000;
  await new Promise((resolve) => setTimeout(resolve, 250));
  const recovered = await issue();
  assert.equal(recovered.statusCode, 200, recovered.body);
  assert.ok(recovered.json().expiresIn <= 7 * 60, `expiresIn ${recovered.json().expiresIn}`);

  // Inside the refresh window (under 10 minutes left): new credentials are fetched in the
  // background and adopted, an hour-long set this time.
  endpoint.state.lifetimeMs = 60 * 60_000;
  // Until a URL is signed with an hour-long set. Usually the next set; on a loaded machine a
  // fetch can outlast fetchTimeoutMs, its late answer is dropped, and another 8-minute set may
  // be handed out first: so wait for the hour-long set itself, not for a count of sets.
  const hourLong = (accessKeyId: string) => (endpoint.issued.get(accessKeyId) ?? 0) - Date.now() > 50 * 60_000;
  let rotatedKey = '';
  for (let attempt = 0; attempt < 200 && !hourLong(rotatedKey); attempt++) {
    const rotated = await issue();
    assert.equal(rotated.statusCode, 200, rotated.body);
    rotatedKey = (new URL(rotated.json().url).searchParams.get('X-Amz-Credential') as string).split('/')[0] as string;
    if (!hourLong(rotatedKey)) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(endpoint.issued.size >= 2, 'the credentials were refreshed');
  assert.ok(hourLong(rotatedKey), `${rotatedKey} is an hour-long set`);
  assert.notEqual(rotatedKey, 'ASIACONTAINER0000001', 'signed with a refreshed set');

  // Every URL issued, before and after the refresh: signed by a set the endpoint handed out,
  // and expiring before that set does.
  assert.ok(urls.length >= 3);
  for (const url of urls) {
    const query = new URL(url).searchParams;
    const accessKeyId = (query.get('X-Amz-Credential') as string).split('/')[0] as string;
    const expiration = endpoint.issued.get(accessKeyId);
    assert.ok(expiration !== undefined, `${accessKeyId} was never issued`);
    const date = query.get('X-Amz-Date') as string;
    const signedAt = Date.parse(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    const expiresAt = signedAt + Number(query.get('X-Amz-Expires')) * 1000;
    assert.ok(
      expiresAt <= expiration,
      `${accessKeyId}: URL until ${new Date(expiresAt).toISOString()}, credentials until ${new Date(expiration).toISOString()}`,
    );
  }
});
