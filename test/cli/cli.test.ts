import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXAMPLE_CREDENTIALS } from '../fixtures/credentials.js';
import { cli, cliProcess } from './run.js';

test('url prints one validated URL for the pinned regional route', async () => {
  const result = await cli([
    'url',
    '--bucket',
    'my-bucket',
    '--key',
    'dir/a b.txt',
    '--region',
    'eu-west-1',
    '--mode',
    'regional',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const url = new URL(lines[0] as string);
  assert.equal(url.host, 'my-bucket.s3.eu-west-1.amazonaws.com');
  assert.equal(url.pathname, '/dir/a%20b.txt');
  const [keyId, ...scope] = (url.searchParams.get('X-Amz-Credential') ?? '').split('/');
  assert.equal(keyId, EXAMPLE_CREDENTIALS.accessKeyId);
  assert.match(scope.join('/'), /^\d{8}\/eu-west-1\/s3\/aws4_request$/);
  assert.equal(result.stderr, '');
});

test('url --json in interface mode, virtual-hosted and path-style', async () => {
  const base = ['url', '--bucket', 'my-bucket', '--key', 'k', '--mode', 'interface', '--region', 'us-east-1'];
  const vpce = ['--vpce-dns', 'vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com', '--json'];
  const virtual = await cli([...base, ...vpce]);
  assert.equal(virtual.code, 0, virtual.stderr);
  const virtualBody = JSON.parse(virtual.stdout);
  assert.ok(
    virtualBody.url.startsWith('https://my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/k?'),
  );
  assert.deepEqual(virtualBody.endpoint, {
    mode: 'interface',
    host: 'my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com',
  });
  const path = await cli([...base, ...vpce, '--path-style', '--operation', 'put', '--content-type', 'image/png']);
  assert.equal(path.code, 0, path.stderr);
  const pathBody = JSON.parse(path.stdout);
  assert.ok(pathBody.url.startsWith('https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/my-bucket/k?'));
  assert.equal(pathBody.method, 'PUT');
  assert.deepEqual(pathBody.headers, { 'content-type': 'image/png' });
});

test('url refuses the legacy global endpoint and impossible combinations, listing every problem', async () => {
  const global = await cli(['url', '--bucket', 'b', '--key', 'k', '--region', 'aws-global', '--mode', 'regional']);
  assert.notEqual(global.code, 0);
  assert.match(global.stderr, /legacy global endpoint/);
  assert.equal(global.stdout, '');

  const many = await cli([
    'url',
    '--bucket',
    'b',
    '--key',
    'k',
    '--mode',
    'accelerate',
    '--fips',
    '--path-style',
    '--region',
    'cn-north-1',
  ]);
  assert.notEqual(many.code, 0);
  for (const problem of [
    /S3_USE_FIPS/,
    /S3_FORCE_PATH_STYLE/,
    /S3_REGION: S3 Transfer Acceleration is not available/,
  ]) {
    assert.match(many.stderr, problem);
  }

  const arn = await cli([
    'url',
    '--bucket',
    'arn:aws:s3:us-west-2:123456789012:accesspoint:ap',
    '--key',
    'k',
    '--region',
    'us-east-1',
    '--mode',
    'regional',
  ]);
  assert.notEqual(arn.code, 0);
  assert.match(arn.stderr, /region us-west-2, the service is pinned to us-east-1/);
});

test('url without --bucket is a usage error: the process exits 2', async () => {
  const result = await cliProcess(['url', '--key', 'k', '--region', 'us-east-1', '--mode', 'regional']);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /--bucket is required/);
});

test('verify accepts a URL the CLI minted and rejects one for another host or a global one', async () => {
  const mode = ['--mode', 'regional', '--region', 'us-west-2'];
  const minted = await cli(['url', '--bucket', 'b-1', '--key', 'x.txt', ...mode]);
  const url = minted.stdout.trim();
  const ok = await cli(['verify', url, ...mode]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /valid under regional mode \(us-west-2\): bucket b-1, key x\.txt/);

  const otherRegion = await cli(['verify', url, '--mode', 'regional', '--region', 'us-east-2']);
  assert.equal(otherRegion.code, 1);
  assert.match(otherRegion.stderr, /URL_HOST/);

  const boto3 = url.replace('b-1.s3.us-west-2.amazonaws.com', 'b-1.s3.amazonaws.com');
  const global = await cli(['verify', boto3, ...mode, '--json']);
  assert.equal(global.code, 1);
  const report = JSON.parse(global.stdout);
  assert.equal(report.valid, false);
  assert.equal(report.failures[0].code, 'URL_GLOBAL_ENDPOINT');
});

test('keygen prints a key and a clients-file entry that authenticates it', async () => {
  const result = await cli(['keygen', '--id', 'billing']);
  assert.equal(result.code, 0, result.stderr);
  const key = /^\s+(s3p_[A-Za-z0-9_-]{43})$/m.exec(result.stdout)?.[1] as string;
  assert.ok(key, result.stdout);
  const entry = result.stdout.slice(result.stdout.indexOf('  - id:'));
  const { parse } = await import('yaml');
  const { callerRegistryFrom } = await import('../../src/auth/callers.js');
  const { configFrom } = await import('../helpers.js');
  const registered = callerRegistryFrom({ clients: parse(entry) }, configFrom({ S3_ENDPOINT_MODE: 'local' }));
  assert.ok(registered.ok, registered.ok ? '' : registered.problems.join('\n'));
  const caller = await registered.registry.admit(`Bearer ${key}`);
  assert.equal(caller.id, 'billing');
  assert.deepEqual(caller.policy.keyPrefixes, ['billing/']);
  const second = await cli(['keygen']);
  assert.ok(!second.stdout.includes(key), 'every key is new');
});

test('verify holds a PUT to the configured encryption: --method for URLs without x-id, --header for the values', async () => {
  const key = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const mode = ['--mode', 'regional', '--region', 'us-west-2'];
  const sse = { S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: key };
  const minted = await cli(['url', '--bucket', 'b-1', '--key', 'x.txt', '--operation', 'put', ...mode, '--json'], sse);
  assert.equal(minted.code, 0, minted.stderr);
  const { url, headers } = JSON.parse(minted.stdout) as { url: string; headers: Record<string, string> };
  assert.deepEqual(headers, {
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': key,
  });

  assert.equal((await cli(['verify', url, ...mode], sse)).code, 0);
  // Without the configuration the URL is still valid; without the headers, with it, it is not.
  const plain = (await cli(['url', '--bucket', 'b-1', '--key', 'x.txt', '--operation', 'put', ...mode])).stdout.trim();
  const missing = await cli(['verify', plain, ...mode], sse);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /URL_ENCRYPTION_MISSING: the URL does not sign x-amz-server-side-encryption/);

  const other = key.replace('1234abcd', '99999999');
  const mismatch = await cli(
    [
      'verify',
      url,
      ...mode,
      '--header',
      'x-amz-server-side-encryption: aws:kms',
      '--header',
      `X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id: ${other}`,
    ],
    sse,
  );
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /URL_ENCRYPTION_MISMATCH/);

  const noHint = url.replace('&x-id=PutObject', '');
  assert.match((await cli(['verify', noHint, ...mode], sse)).stderr, /URL_METHOD_UNKNOWN/);
  assert.equal((await cli(['verify', noHint, ...mode, '--method', 'put'], sse)).code, 0);
  const bad = await cli(['verify', noHint, ...mode, '--method', 'POST'], sse);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--method must be GET or PUT/);
});
