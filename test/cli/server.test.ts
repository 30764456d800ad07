// `npm start` as a newcomer runs it: the real process, the embedded S3 server, the printed
// example, and a clean exit on SIGTERM. And a bad configuration stops it with every problem.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { generateApiKey } from '../../src/auth/api-keys.js';
import { baseEnvironment, cli, runTs } from './run.js';
import { oneClientFile, startService } from './service-process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

test('a bad configuration exits non-zero listing every problem at once', async () => {
  const result = await runTs(
    'src/server.ts',
    [],
    baseEnvironment({
      S3_ENDPOINT_MODE: 'interface',
      S3_REGION: 'aws-global',
      S3_USE_DUALSTACK: 'yes please',
      PRESIGN_MAX_EXPIRES: '700000',
      PORT: 'eighty',
    }),
  );
  assert.equal(result.code, 1);
  for (const problem of [
    /S3_REGION: "aws-global" names the legacy global endpoint/,
    /S3_USE_DUALSTACK: must be true or false/,
    /PRESIGN_MAX_EXPIRES/,
    /PORT: must be a whole number/,
    /S3_VPCE_DNS_NAME: required/,
    /S3_BUCKETS: required/,
  ]) {
    assert.match(result.stderr, problem);
  }
  assert.ok(!/\bat .*\.ts:\d+/.test(result.stderr), 'no stack trace');
});

test('a start-up error never echoes the credentials of an endpoint URL', async () => {
  const result = await runTs(
    'src/server.ts',
    [],
    baseEnvironment({ S3_ENDPOINT_MODE: 'custom', S3_ENDPOINT_URL: 'https://admin:s3cr3t-pw@minio internal:9000' }),
  );
  assert.equal(result.code, 1);
  assert.match(result.stderr, /S3_ENDPOINT_URL: .* is not a valid URL/);
  assert.doesNotMatch(result.stderr + result.stdout, /s3cr3t/);
});

/**
 * A local-mode start that is refused after its embedded S3 server started, in a temporary
 * directory of its own (TMPDIR), where that server makes its folder. Resolves with how the
 * process ended and the embedded-store folders it left there.
 */
async function refusedLocalStart(t: TestContext, env: Record<string, string>) {
  const temporary = await mkdtemp(join(tmpdir(), 's3-presign-refused-start-'));
  t.after(() => rm(temporary, { recursive: true, force: true }));
  const result = await runTs(
    'src/server.ts',
    [],
    baseEnvironment({ PORT: '0', LOCAL_S3_PORT: '0', TMPDIR: temporary, ...env }),
  );
  assert.equal(result.code, 1, result.stderr);
  assert.ok(!/\bat .*\.(?:ts|js):\d+/.test(result.stderr), `no stack trace: ${result.stderr}`);
  const leftBehind = (await readdir(temporary)).filter((name) => name.startsWith('s3-presign-embedded-s3-'));
  return { ...result, leftBehind };
}

test('an AUDIT_LOG file that cannot be opened stops the start with a message, not a stack trace', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-audit-file-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  // Under a regular file: no directory can be made there, whoever runs the test (root too).
  const blocker = join(directory, 'not-a-directory');
  await writeFile(blocker, '');
  const result = await refusedLocalStart(t, { AUDIT_LOG: join(blocker, 'audit.log') });
  assert.match(
    result.stderr,
    /AUDIT_LOG: cannot open .*not-a-directory\/audit\.log for appending \((?:EEXIST|ENOTDIR)\)/,
  );
  assert.deepEqual(result.leftBehind, [], 'the embedded store removed its folder');
});

test('a PORT in use stops the start with a message naming it, and leaves no embedded-store folder', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => taken.close(resolve)));
  const { port } = taken.address() as AddressInfo;
  const result = await refusedLocalStart(t, { PORT: String(port) });
  assert.match(
    result.stderr,
    new RegExp(`PORT: port ${port} on 127\\.0\\.0\\.1 is in use; set PORT to a free port \\(0 picks one\\)`),
  );
  assert.deepEqual(result.leftBehind, [], 'the embedded store removed its folder');
});

test('a HOST that is not an address of this machine stops the start with a message naming it', async (t) => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): documentation only, on no interface.
  const result = await refusedLocalStart(t, { HOST: '192.0.2.1' });
  assert.match(result.stderr, /HOST: 192\.0\.2\.1 is not an address of this machine; set HOST to one of its addresses/);
  assert.deepEqual(result.leftBehind, [], 'the embedded store removed its folder');
});

test('a HOST that does not resolve stops the start with a message naming it', async (t) => {
  // Not an IPv4 address, so a name to look up; .invalid never resolves (RFC 6761).
  for (const host of ['256.1.1.1', 'no-such-host.invalid']) {
    const result = await refusedLocalStart(t, { HOST: host });
    assert.ok(result.stderr.includes(`HOST: ${host} does not resolve to an address; set HOST to`), result.stderr);
    assert.deepEqual(result.leftBehind, [], 'the embedded store removed its folder');
  }
});

test('under NODE_ENV=production an unset mode is a start-up error, never local mode', async () => {
  const result = await runTs('src/server.ts', [], baseEnvironment({ NODE_ENV: 'production' }));
  assert.equal(result.code, 1);
  assert.match(result.stderr, /S3_ENDPOINT_MODE: required when NODE_ENV=production/);
});

test('npm start: local mode serves URLs that work against the embedded store, then stops on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: baseEnvironment({ PORT: '0', LOCAL_S3_PORT: '0', LOG_LEVEL: 'warn', CORS_ORIGINS: 'https://app.example.com' }),
  });
  // Listened for from the start: a child that exits (or is killed by the guard) between two
  // reads would otherwise leave a later once(child, 'exit') waiting for ever.
  const exited = once(child, 'exit');
  // A hang guard, not a measurement: the start takes 3.5 s at a load average of 28 here.
  const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    while (!/curl -s "\$url"/.test(stdout)) {
      await Promise.race([once(child.stdout, 'data'), exited.then(() => assert.fail(`exited: ${stderr}`))]);
    }
    const service = /service:\s+(http:\/\/\S+)/.exec(stdout)?.[1] as string;
    // The PUT sends every header the answer lists (the signed provenance too); test/docs/shell-examples.test.ts pastes it.
    assert.match(stdout, /echo "\$headers" \| curl -s -X PUT -H @- --data-binary/);

    const apiKey = /API key:\s+(s3p_\S+)/.exec(stdout)?.[1] as string;
    assert.ok(apiKey, 'the development key is printed');
    assert.match(stdout, new RegExp(`demo page: +${service}/demo`));
    assert.match(stdout, new RegExp(`dev tokens: +POST ${service}/dev/token`));
    const refused = await fetch(`${service}/presign`, { method: 'POST' });
    assert.equal(refused.status, 401);
    const presign = async (payload: object) => {
      const response = await fetch(`${service}/presign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
        body: JSON.stringify(payload),
      });
      assert.equal(response.status, 200);
      return (await response.json()) as { url: string; headers: Record<string, string> };
    };
    const put = await presign({ operation: 'put', key: 'hello.txt', contentType: 'text/plain' });
    const stored = await fetch(put.url, { method: 'PUT', headers: put.headers, body: 'hello from s3-presign' });
    assert.equal(stored.status, 200);
    const get = await presign({ operation: 'get', key: 'hello.txt' });
    assert.equal(await (await fetch(get.url)).text(), 'hello from s3-presign');
    assert.equal((await fetch(`${service}/healthz`)).status, 200);

    // The embedded bucket answers browsers on the service's own origins (the /demo page)
    // and CORS_ORIGINS, nobody else, and nothing unsigned.
    const store = /embedded S3:\s+(http:\/\/\S+)\s+bucket:\s+(\S+)/.exec(stdout);
    assert.ok(store, stdout);
    const bucketUrl = `${store[1]}/${store[2]}`;
    const preflightFrom = async (origin: string) => {
      const response = await fetch(`${bucketUrl}/upload.bin`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
      });
      await response.arrayBuffer();
      return response.headers.get('access-control-allow-origin');
    };
    const port = new URL(service).port;
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, 'https://app.example.com']) {
      assert.equal(await preflightFrom(origin), origin);
    }
    assert.equal(await preflightFrom('https://attacker.example'), null);
    const anonymous = await fetch(bucketUrl);
    assert.equal(anonymous.status, 403);
    assert.match(await anonymous.text(), /<Code>AccessDenied<\/Code>/);

    // The store's key pair is drawn at this start and printed, for the CLI: it signs with it,
    // asks for it when it is missing, and the well-known S3RVER pair signs nothing.
    const pair = /AWS_ACCESS_KEY_ID=(LOCAL[0-9A-F]{16}) AWS_SECRET_ACCESS_KEY=([\w-]{40})\n/.exec(stdout);
    assert.ok(pair, stdout);
    const urlCommand = ['url', '--mode', 'local', '--bucket', store[2] as string, '--key', 'hello.txt'];
    const storePort = new URL(store[1] as string).port;
    const minted = await cli(urlCommand, {
      LOCAL_S3_PORT: storePort,
      AWS_ACCESS_KEY_ID: pair[1] as string,
      AWS_SECRET_ACCESS_KEY: pair[2] as string,
    });
    assert.equal(minted.code, 0, minted.stderr);
    assert.equal(await (await fetch(minted.stdout.trim())).text(), 'hello from s3-presign');
    const withoutPair = await cli(urlCommand, {
      LOCAL_S3_PORT: storePort,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
    });
    assert.equal(withoutPair.code, 2);
    assert.match(withoutPair.stderr, /set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the pair `npm start` printed/);
    const wellKnown = await cli(urlCommand, {
      LOCAL_S3_PORT: storePort,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    });
    assert.equal(wellKnown.code, 0, wellKnown.stderr);
    const refusedRead = await fetch(wellKnown.stdout.trim());
    assert.equal(refusedRead.status, 403);
    assert.match(await refusedRead.text(), /<Code>InvalidAccessKeyId<\/Code>/);
  } finally {
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    clearTimeout(guard);
    assert.equal(code, 0, stderr);
  }
});

test('local mode with a clients file: the banner says what is served, and the demo and dev tokens are', async (t) => {
  const serviceKey = generateApiKey();
  const clientsFile = await oneClientFile(t, {
    id: 'billing',
    apiKey: serviceKey,
    policy: "{ operations: [get, put], keyPrefixes: ['billing/'] }",
  });
  const service = await startService(t, { AUTH_CLIENTS_FILE: clientsFile });
  while (!/"contentLength":21\}'/.test(service.output().stdout)) await once(service.child.stdout, 'data');
  const { stdout } = service.output();
  const lines = stdout.split('\n').map((line) => line.trimEnd());
  const url = service.url;
  assert.ok(lines.includes(`  demo page:    ${url}/demo   (from this machine only)`), stdout);
  assert.ok(
    lines.includes(`  dev tokens:   POST ${url}/dev/token {"sub":"alice"}   (from this machine only; JWTs for the`),
    stdout,
  );
  assert.ok(lines.includes(`  callers:      from ${clientsFile} (no development API key)`), stdout);
  assert.doesNotMatch(stdout, /API key:\s+s3p_|s3p_[\w-]{43}/, 'no development key is made or printed');

  const demo = await fetch(`${url}/demo`);
  assert.equal(demo.status, 200);
  await demo.arrayBuffer();
  // The banner's frontend example, as a frontend would run it.
  const issued = await fetch(`${url}/dev/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sub: 'alice' }),
  });
  assert.equal(issued.status, 200);
  const { token } = (await issued.json()) as { token: string };
  const upload = await fetch(`${url}/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ filename: 'hello.txt', contentType: 'text/plain', contentLength: 21 }),
  });
  assert.equal(upload.status, 200);
  const granted = (await upload.json()) as { key: string; url: string; headers: Record<string, string> };
  assert.match(granted.key, /^users\/alice\//);
  // Signed with the key pair the embedded store drew at this start: the store takes it.
  const stored = await fetch(granted.url, { method: 'PUT', headers: granted.headers, body: 'hello from s3-presign' });
  assert.equal(stored.status, 200, await stored.text());
  // The clients file's service still signs, with its own key.
  const presign = await fetch(`${url}/presign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${serviceKey}` },
    body: JSON.stringify({ operation: 'get', key: 'billing/a.pdf' }),
  });
  assert.equal(presign.status, 200);
});
