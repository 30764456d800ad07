// No log line holds a signature, credential, session token, API key or JWT, whatever the
// parameter is called, where the secret sits (path, query, `;` parameters, a URL inside a
// parameter, Host, X-Forwarded-For, an echoed body field) and however it is encoded. Real
// requests through app.inject, real log output. The checks below decode what was logged with
// the platform's decodeURIComponent and look for the secret itself: nothing here repeats
// the service's patterns.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import fc from 'fast-check';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { startLocalApp, type LocalApp } from '../helpers.js';
import { startIssuer } from './jwks.js';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';

/** Every decoding a reader (or a log pipeline) might apply, up to six layers deep. */
function decodings(text: string): string[] {
  const layers = [text];
  let current = text;
  for (let layer = 0; layer < 6; layer++) {
    const next = current.replace(/\+/g, ' ').replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
    const unplussed = current.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
    layers.push(next, unplussed);
    if (unplussed === current) break;
    current = unplussed;
  }
  return layers;
}

/** The parts of a secret that must not appear: all of it, and for long ones each 40-character piece. */
function needles(secret: string): string[] {
  const pieces = [secret];
  for (let start = 0; secret.length > 60 && start + 40 <= secret.length; start += 40) {
    pieces.push(secret.slice(start, start + 40));
  }
  return pieces;
}

function assertNoSecret(logText: string, secrets: readonly string[], context: string): void {
  for (const decoded of decodings(logText)) {
    for (const secret of secrets) {
      for (const needle of needles(secret)) {
        assert.ok(!decoded.includes(needle), `${context}: the log holds ${needle}\n${logText}`);
      }
    }
  }
}

async function mintedUrl(local: LocalApp): Promise<{ url: string; signature: string; credential: string }> {
  const minted = await local.app.inject({
    method: 'POST',
    url: '/presign',
    headers: local.auth,
    payload: { operation: 'get', key: 'reports/q3.pdf' },
  });
  const url = (minted.json() as { url: string }).url;
  const query = new URL(url).searchParams;
  return {
    url,
    signature: query.get('X-Amz-Signature') as string,
    credential: query.get('X-Amz-Credential') as string,
  };
}

/** The log lines a request adds. */
async function linesOf(local: LocalApp, send: () => Promise<unknown>): Promise<string> {
  const before = local.logs.lines.length;
  await send();
  return local.logs.lines.slice(before).join('\n');
}

const SIGNATURE = 'c0ffee'.repeat(10) + 'beef';
const ACCESS_KEY_ID = EXAMPLE_CREDENTIALS.accessKeyId;
const SESSION_TOKEN =
  'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6m8tF+example+session+token/with/base64+' +
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';

test('the named cases reach no log line', async (t) => {
  // Loopback named as a proxy: what X-Forwarded-For says reaches the request line.
  const local = await startLocalApp(t, { LOG_LEVEL: 'trace', TRUST_PROXY: 'loopback' });
  const issuer = await startIssuer(t);
  const jwt = await issuer.sign({ sub: 'alice', aud: 's3-presign' });
  const apiKey = generateApiKey();
  const minted = await mintedUrl(local);
  const get =
    (url: string, headers: Record<string, string> = {}) =>
    () =>
      local.app.inject({ method: 'GET', url, headers, remoteAddress: '127.0.0.1' });
  const cases: Array<[string, () => Promise<unknown>, string[]]> = [
    ['an encoded parameter name', get(`/livez?X%2DAmz%2DSignature=${SIGNATURE}`), [SIGNATURE]],
    [
      'mixed case',
      get(`/livez?x-amz-SIGNATURE=${SIGNATURE}&X-AMZ-CREDENTIAL=${ACCESS_KEY_ID}%2F20260101`),
      [SIGNATURE, ACCESS_KEY_ID],
    ],
    [
      'a presigned URL inside another parameter',
      get(`/livez?next=${encodeURIComponent(minted.url)}`),
      [minted.signature, minted.credential],
    ],
    [
      'the same, encoded twice',
      get(`/nowhere?next=${encodeURIComponent(encodeURIComponent(minted.url))}`),
      [minted.signature, minted.credential],
    ],
    [
      '`;` parameters',
      get(`/livez;X-Amz-Signature=${SIGNATURE};X-Amz-Security-Token=${encodeURIComponent(SESSION_TOKEN)}`),
      [SIGNATURE, SESSION_TOKEN],
    ],
    ['`;` after `?`', get(`/livez?a=1;X-Amz-Signature=${SIGNATURE}`), [SIGNATURE]],
    ['an API key under an ordinary name', get(`/livez?key=${apiKey}`), [apiKey]],
    ['a JWT under id_token', get(`/livez?id_token=${jwt}`), [jwt, jwt.split('.')[2] as string]],
    ['a JWT as a path segment', get(`/files/${jwt}/x`), [jwt, jwt.split('.')[2] as string]],
    ['an API key as a parameter name', get(`/livez?${apiKey}`), [apiKey]],
    ['an API key in Host', get('/livez', { host: apiKey }), [apiKey]],
    // Host names are case-insensitive and often lowercased on the way; the key ID survives it.
    [
      'an access key ID lowercased in Host',
      get('/livez', { host: `${ACCESS_KEY_ID.toLowerCase()}.localhost` }),
      [ACCESS_KEY_ID.toLowerCase()],
    ],
    ['a JWT in X-Forwarded-For from a trusted proxy', get('/livez', { 'x-forwarded-for': jwt }), [jwt]],
    [
      'an API key echoed from the body (bucket)',
      () =>
        local.app.inject({
          method: 'POST',
          url: '/presign',
          headers: local.auth,
          payload: { operation: 'get', key: 'k', bucket: apiKey },
        }),
      [apiKey],
    ],
    [
      'a JWT as an unknown body field',
      () =>
        local.app.inject({
          method: 'POST',
          url: '/presign',
          headers: local.auth,
          payload: { operation: 'get', key: 'k', [jwt]: 1 },
        }),
      [jwt],
    ],
    [
      'a presigned URL in an error message',
      async () => local.app.log.error({ err: new Error(`S3 refused ${minted.url}`) }, `could not fetch ${minted.url}`),
      [minted.signature, minted.credential],
    ],
    [
      'a session token and access key ID in a logged object',
      async () => local.app.log.warn({ upstream: { sessionToken: SESSION_TOKEN, id: ACCESS_KEY_ID } }, 'upstream'),
      [SESSION_TOKEN, ACCESS_KEY_ID],
    ],
  ];
  for (const [name, send, secrets] of cases) {
    const lines = await linesOf(local, send);
    assert.ok(lines.length > 0, `${name}: something was logged`);
    assertNoSecret(lines, secrets, name);
    for (const line of lines.split('\n')) JSON.parse(line); // still one JSON object per line
  }
  // What stays: the path and the names, so the request line is still useful.
  assert.match(local.logs.text, /"url":"\/livez\?next"/);
  assert.match(local.logs.text, /"url":"\/livez\?X-Amz-Signature&X-Amz-Security-Token"/);
});

test("an upload ID's HMAC reaches no log line, though Companion's routes carry it in the path", async (t) => {
  const local = await startLocalApp(t, { LOG_LEVEL: 'trace' });
  const send = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    local.app.inject({ method, url, headers: local.auth, payload });
  const created = await send('POST', '/s3/multipart', { filename: 'a.bin', metadata: { size: '4' } });
  assert.equal(created.statusCode, 200, created.body);
  const { key, uploadId } = created.json() as { key: string; uploadId: string };
  const [version, payload, mac] = uploadId.split('.') as [string, string, string];
  const query = `key=${encodeURIComponent(key)}`;
  const paths = [
    `/s3/multipart/${uploadId}?${query}`,
    `/s3/multipart/${encodeURIComponent(uploadId)}/1?${query}`,
    `/s3/multipart/${uploadId}/batch?${query}&partNumbers=1`,
    `/s3/multipart/${uploadId}=/1?${query}`,
    `/s3/multipart/${version}%2E${payload}%2e${mac}/1?${query}`,
    `/s3/multipart/${uploadId}/9?${query}`,
  ];
  const before = local.logs.lines.length;
  for (const path of paths) await send('GET', path);
  await send('POST', `/s3/multipart/${uploadId}/complete?${query}`, { parts: [{ PartNumber: 1, ETag: 'x' }] });
  await send('DELETE', `/s3/multipart/${uploadId}?${query}`);
  const lines = local.logs.lines.slice(before);
  assert.equal(
    lines.filter((line) => line.includes('"msg":"request completed"')).length,
    paths.length + 2,
    'one request line each, and the refusals their own lines',
  );
  const text = lines.join('\n');
  // No part of it: every 12-character piece of the HMAC is absent.
  for (let start = 0; start + 12 <= mac.length; start++) {
    assert.ok(!text.includes(mac.slice(start, start + 12)), `the log holds ${mac.slice(start, start + 12)}\n${text}`);
  }
  // What stays: the route, and the token's payload (S3's upload ID and the sizes) to trace it by.
  assert.ok(text.includes(`"url":"/s3/multipart/${version}.${payload}.REDACTED/1?key"`), text);
  assert.ok(text.includes(`"url":"/s3/multipart/${version}.REDACTED/1?key"`), 'escaped dots: all of it goes');
});

test("Node's client errors are logged without the raw request bytes", async (t) => {
  const local = await startLocalApp(t, { LOG_LEVEL: 'trace' });
  await local.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = local.app.server.address() as { port: number };
  const apiKey = generateApiKey();
  const answer = await new Promise<string>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('close', () => resolve(received));
    socket.on('error', () => {});
    // A header line without a colon: the parser refuses the request, and Node attaches the
    // bytes it read (the Authorization header among them) to the error as rawPacket.
    socket.write(
      `POST /presign HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${apiKey}\r\nthis is not a header\r\n\r\n`,
    );
  });
  assert.match(answer, /^HTTP\/1\.1 400 /);
  assert.match(answer, /"code":"MALFORMED_REQUEST"/);
  assert.match(local.logs.text, /client error/);
  assert.doesNotMatch(local.logs.text, /rawPacket/);
  assertNoSecret(local.logs.text, [apiKey], 'client error');
  // And pino's error serializer drops it wherever such an error is logged.
  local.app.log.error({ err: Object.assign(new Error('parse'), { rawPacket: Buffer.from(apiKey) }) }, 'logged');
  assert.doesNotMatch(local.logs.text, /rawPacket/);
});

// ---- the property: random secrets, in random encodings, at random places ----------------

const base64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

const secretArbitrary = (jwts: readonly string[]) =>
  fc.oneof(
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => `s3p_${base64url(bytes)}`),
    fc.constantFrom(...jwts),
    fc
      .tuple(fc.uint8Array({ minLength: 8, maxLength: 40 }), fc.uint8Array({ minLength: 32, maxLength: 64 }))
      .map(([claims, signature]) => `eyJhbGciOiJSUzI1NiJ9.eyJ${base64url(claims)}.${base64url(signature)}`),
    fc
      .tuple(fc.constantFrom('AKIA', 'ASIA'), fc.stringMatching(/^[A-Z2-7]{16}$/))
      .map(([prefix, rest]) => prefix + rest),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map(hex),
    fc
      .uint8Array({ minLength: 300, maxLength: 700 })
      .map((bytes) => `IQoJb3JpZ2luX2Vj${Buffer.from(bytes).toString('base64')}`),
  );

/** Ways a client, a proxy or an attacker might have encoded the secret. */
const encodingArbitrary = fc.oneof(
  fc.constant((text: string) => text),
  fc.integer({ min: 1, max: 3 }).map((times) => (text: string) => {
    let encoded = text;
    for (let i = 0; i < times; i++) encoded = encodeURIComponent(encoded);
    return encoded;
  }),
  // Every character escaped, the hex digits in either case, once or twice.
  fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 2 })).map(([upper, times]) => (text: string) => {
    let encoded = text;
    for (let i = 0; i < times; i++) {
      encoded = [...encoded]
        .map((char) => {
          const escape = char.charCodeAt(0).toString(16).padStart(2, '0');
          return `%${upper ? escape.toUpperCase() : escape}`;
        })
        .join('');
    }
    return encoded;
  }),
  // Some characters escaped, some not.
  fc
    .integer({ min: 0, max: 1000 })
    .map(
      (seed) => (text: string) =>
        [...text]
          .map((char, index) => ((index * 7 + seed) % 3 === 0 ? `%${char.charCodeAt(0).toString(16)}` : char))
          .join(''),
    ),
);

const parameterName = fc.oneof(
  fc.constantFrom('X-Amz-Signature', 'x-amz-signature', 'X-AMZ-Security-Token', 'X%2DAmz%2DCredential', 'key'),
  fc.constantFrom('id_token', 'access_token', 'next', 'u', 'q', 'redirect'),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/),
);

type Placement = (
  secret: string,
  name: string,
) => { url: string; headers?: Record<string, string>; body?: object; audited?: true };
const placements: Record<string, Placement> = {
  'query value': (secret, name) => ({ url: `/livez?a=1&${name}=${secret}` }),
  'query name': (secret) => ({ url: `/livez?${secret}` }),
  '`;` parameter': (secret, name) => ({ url: `/livez;${name}=${secret};b=2` }),
  '`;` after `?`': (secret, name) => ({ url: `/livez?a=1;${name}=${secret}` }),
  'path segment (404)': (secret) => ({ url: `/nowhere/${secret}/x` }),
  'inside a URL inside a parameter': (secret, name) => ({
    url: `/livez?next=${encodeURIComponent(
      `https://bucket.s3.us-east-1.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&${name}=${secret}`,
    )}`,
  }),
  Host: (secret) => ({ url: '/livez', headers: { host: secret } }),
  'X-Forwarded-For': (secret) => ({ url: '/livez', headers: { 'x-forwarded-for': secret } }),
  'echoed body value': (secret) => ({ url: '/presign', body: { operation: 'get', key: 'k', bucket: secret } }),
  'unknown body field': (secret) => ({ url: '/presign', body: { operation: 'get', key: 'k', [secret]: true } }),
  // The audit stream (AUDIT_LOG=stdout, in the same capture): a grant's key and client address,
  // a refusal's credentials, and the metadata and tag names a refusal message quotes.
  'object key of a grant (audited)': (secret) => ({
    url: '/presign',
    body: { operation: 'get', key: `k/${secret}` },
    audited: true,
  }),
  'X-Forwarded-For of a grant (audited)': (secret) => ({
    url: '/presign',
    headers: { 'x-forwarded-for': secret },
    body: { operation: 'get', key: 'k' },
    audited: true,
  }),
  'bearer token of a refusal (audited)': (secret) => ({
    url: '/presign',
    headers: { authorization: `Bearer ${secret}` },
    body: { operation: 'get', key: 'k' },
    audited: true,
  }),
  'metadata name': (secret) => ({
    url: '/presign',
    body: { operation: 'put', key: 'k', contentType: 'text/plain', metadata: { [secret]: 'v' } },
  }),
  'tag key': (secret) => ({
    url: '/presign',
    body: { operation: 'put', key: 'k', contentType: 'text/plain', tags: { [secret]: 'v' } },
  }),
};

async function propertyApp(t: TestContext) {
  const local = await startLocalApp(t, { LOG_LEVEL: 'trace', RATE_LIMIT_MAX: '1000000', TRUST_PROXY: 'loopback' });
  const issuer = await startIssuer(t);
  const jwts = await Promise.all(['alice', 'bob', 'carol'].map((sub) => issuer.sign({ sub, aud: 's3-presign' })));
  return { local, jwts };
}

test('property: a secret in any encoding, anywhere in a request, reaches no log line', async (t) => {
  const { local, jwts } = await propertyApp(t);
  await fc.assert(
    fc.asyncProperty(
      secretArbitrary(jwts),
      encodingArbitrary,
      parameterName,
      fc.constantFrom(...Object.keys(placements)),
      async (secret, encode, name, where) => {
        const placed = (placements[where] as Placement)(encode(secret), name);
        let status = 0;
        const lines = await linesOf(local, async () => {
          const response = await local.app.inject({
            method: placed.body ? 'POST' : 'GET',
            url: placed.url,
            remoteAddress: '127.0.0.1',
            headers: { ...(placed.body ? local.auth : {}), ...placed.headers },
            ...(placed.body ? { payload: placed.body } : {}),
          });
          status = response.statusCode;
        });
        assert.match(lines, /request completed/, `${where}: the request was logged`);
        // A grant or a refusal (a key past S3's length is a plain 400, not audited).
        if (placed.audited && [200, 401, 403, 429].includes(status)) {
          assert.match(lines, /"audit":true/, `${where}: the audit event is among the lines checked`);
        }
        assertNoSecret(lines, [secret], where);
      },
    ),
    { numRuns: 400 },
  );
});
