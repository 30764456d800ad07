import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { generateApiKey, hashApiKey } from '../../src/auth/api-keys.js';
import { embeddedS3Client, startLocalApp } from '../helpers.js';

test('POST /verify reports a URL minted by the service as valid', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const minted = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'dir/f.txt' },
  });
  const response = await app.inject({ method: 'POST', url: '/verify', payload: { url: minted.json().url } });
  assert.equal(response.statusCode, 200);
  const report = response.json();
  assert.equal(report.valid, true, JSON.stringify(report.failures));
  assert.equal(report.mode, 'local');
  assert.equal(report.bucket, 'local-uploads');
  assert.equal(report.key, 'dir/f.txt');
  assert.equal(report.addressing, 'path-style');
  assert.deepEqual(report.signedHeaders, ['host']);
});

test('POST /verify lists every failed check of a foreign URL', async (t) => {
  const { app } = await startLocalApp(t);
  const boto3Style =
    'https://my-bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=999999&X-Amz-SignedHeaders=host&X-Amz-Signature=ABC&x-amz-checksum-crc32=AAAAAA%3D%3D';
  const response = await app.inject({ method: 'POST', url: '/verify', payload: { url: boto3Style } });
  assert.equal(response.statusCode, 200);
  const report = response.json();
  assert.equal(report.valid, false);
  const codes = report.failures.map((failure: { code: string }) => failure.code);
  for (const code of ['URL_GLOBAL_ENDPOINT', 'URL_EXPIRES_RANGE', 'URL_SIGNATURE_FORMAT', 'URL_UNEXPECTED_PARAMETER']) {
    assert.ok(codes.includes(code), `${code} in ${codes.join(', ')}`);
  }
});

test('POST /verify refuses a body without a url with 400', async (t) => {
  const { app } = await startLocalApp(t);
  const response = await app.inject({ method: 'POST', url: '/verify', payload: {} });
  assert.equal(response.statusCode, 400);
  assert.equal(response.json().code, 'VALIDATION_FAILED');
  assert.equal(response.json().field, 'url');
  const notUrl = await app.inject({ method: 'POST', url: '/verify', payload: { url: 'not a url' } });
  assert.equal(notUrl.statusCode, 200);
  assert.deepEqual(
    notUrl.json().failures.map((failure: { code: string }) => failure.code),
    ['URL_MALFORMED'],
  );
});

test('POST /verify refuses a URL whose authority other parsers read as another host', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const minted = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'dir/f.txt' },
  });
  const { url } = minted.json() as { url: string };
  const { host } = new URL(url);
  // WHATWG reads `\` as `/` and so the expected host; curl and Python read attacker.example.
  const attack = url.replace(host, `${host}\\@attacker.example`);
  const response = await app.inject({ method: 'POST', url: '/verify', payload: { url: attack } });
  assert.equal(response.statusCode, 200);
  const report = response.json();
  assert.equal(report.valid, false);
  assert.deepEqual(
    report.failures.map((failure: { code: string }) => failure.code),
    ['URL_NOT_CANONICAL'],
  );
});

test('POST /verify answers 8 KB of "&" with one failure per code and a count', async (t) => {
  const { app } = await startLocalApp(t);
  const prefix = 'http://127.0.0.1:4568/local-uploads/k?';
  const url = prefix + '&'.repeat(8192 - prefix.length);
  const response = await app.inject({ method: 'POST', url: '/verify', payload: { url } });
  assert.equal(response.statusCode, 200);
  // Was 740 KB: one failure per duplicate.
  assert.ok(response.body.length < 4096, `${response.body.length} bytes`);
  const duplicates = response
    .json()
    .failures.filter((failure: { code: string }) => failure.code === 'URL_DUPLICATE_PARAMETER');
  assert.equal(duplicates.length, 1);
  assert.equal(duplicates[0].count, 8192 - prefix.length);
});

test('POST /verify has its own rate limit per client address', async (t) => {
  const { app, auth } = await startLocalApp(t, { VERIFY_RATE_LIMIT_MAX: '3', VERIFY_RATE_LIMIT_WINDOW_SECONDS: '60' });
  const verifyFrom = (remoteAddress: string) =>
    app.inject({ method: 'POST', url: '/verify', remoteAddress, payload: { url: 'https://example.com/k' } });
  for (let i = 0; i < 3; i++) assert.equal((await verifyFrom('192.0.2.1')).statusCode, 200);
  const limited = await verifyFrom('192.0.2.1');
  assert.equal(limited.statusCode, 429);
  assert.equal(limited.json().code, 'RATE_LIMITED');
  assert.match(limited.json().message, /rate limit of 3 requests per 1 minute/);
  assert.ok(Number(limited.headers['retry-after']) > 0);
  // Another address has its own budget, and authenticated callers never shared it.
  assert.equal((await verifyFrom('192.0.2.2')).statusCode, 200);
  const presign = await app.inject({
    method: 'POST',
    url: '/presign',
    remoteAddress: '192.0.2.1',
    headers: auth,
    payload: { operation: 'get', key: 'k' },
  });
  assert.equal(presign.statusCode, 200);
});

test("no amount of /verify traffic resets a caller's budget: 5,050 addresses directly, then through X-Forwarded-For", async (t) => {
  const limited = generateApiKey();
  const other = generateApiKey();
  const policy = { operations: ['get'], keyPrefixes: [''] };
  const clients = {
    clients: [
      { id: 'limited', apiKeySha256: hashApiKey(limited), policy },
      { id: 'other', apiKeySha256: hashApiKey(other), policy },
    ],
  };
  // The load balancer's range is named; the default trusts no peer.
  const env = { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '600', TRUST_PROXY: '10.0.0.0/8' };
  const { app } = await startLocalApp(t, { ...env, VERIFY_RATE_LIMIT_WINDOW_SECONDS: '600' }, {}, { clients });
  const presign = (key: string) =>
    app.inject({
      method: 'POST',
      url: '/presign',
      headers: { authorization: `Bearer ${key}` },
      payload: { operation: 'get', key: 'k' },
    });
  const verify = (remoteAddress: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/verify', remoteAddress, headers, payload: { url: 'https://example.com/k' } });

  for (let i = 0; i < 3; i++) assert.equal((await presign(limited)).statusCode, 200);
  assert.equal((await presign(limited)).statusCode, 429, 'at its limit');

  for (let i = 0; i < 5_050; i++) {
    const answer = await verify(`198.51.${100 + (i >> 8)}.${i & 255}`);
    assert.equal(answer.statusCode, 200, `address ${i}: ${answer.body}`);
  }
  assert.equal((await presign(limited)).statusCode, 429, 'still at its limit after 5,050 addresses');

  // Through the proxy, each client its own IPv6 /64. The anonymous table holds 10,000 windows:
  // past that, new addresses are refused (fail closed) rather than any window dropped.
  const statuses = new Map<number, number>();
  let refusal = '';
  for (let i = 0; i < 5_050; i++) {
    const answer = await verify('10.0.0.1', { 'x-forwarded-for': `2001:db8:${i.toString(16)}::1` });
    statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
    if (answer.statusCode === 429) refusal = answer.body;
  }
  assert.deepEqual(Object.fromEntries(statuses), { 200: 10_000 - 5_050, 429: 5_050 - (10_000 - 5_050) });
  assert.match(refusal, /too many client addresses are being counted \(10000\); retry in \d+ s/);
  const limitedAgain = await presign(limited);
  assert.deepEqual([limitedAgain.statusCode, limitedAgain.json().code], [429, 'RATE_LIMITED'], 'still at its limit');
  assert.equal((await presign(other)).statusCode, 200, 'another caller is served');
  // An address already counted keeps its window.
  assert.equal((await verify('198.51.100.0')).statusCode, 200);
});

test('/verify counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', async (t) => {
  const { app } = await startLocalApp(t, { VERIFY_RATE_LIMIT_MAX: '3', TRUST_PROXY: '10.0.0.0/8' });
  const verify = (remoteAddress: string, forwardedFor?: string) =>
    app.inject({
      method: 'POST',
      url: '/verify',
      remoteAddress,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      payload: { url: 'https://example.com/k' },
    });
  for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:ffff']) {
    assert.equal((await verify(address)).statusCode, 200, address);
  }
  assert.equal((await verify('2001:db8:1:2:a:b:c:d')).statusCode, 429, 'the same /64');
  assert.equal((await verify('10.0.0.1', '2001:db8:1:2::9')).statusCode, 429, 'the same /64, forwarded');
  assert.equal((await verify('2001:db8:1:3::1')).statusCode, 200, 'the next /64');
  for (let i = 0; i < 3; i++) assert.equal((await verify('::ffff:192.0.2.9')).statusCode, 200);
  assert.equal((await verify('192.0.2.9')).statusCode, 429, 'IPv4-mapped is the IPv4 address');
  // Without a named proxy, X-Forwarded-For names nobody: a loopback peer is its own address.
  const { app: plain } = await startLocalApp(t, { VERIFY_RATE_LIMIT_MAX: '1' });
  const fromLoopback = (forwardedFor: string) =>
    plain.inject({
      method: 'POST',
      url: '/verify',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': forwardedFor },
      payload: { url: 'https://example.com/k' },
    });
  assert.equal((await fromLoopback('198.51.100.1')).statusCode, 200);
  assert.equal((await fromLoopback('198.51.100.2')).statusCode, 429, 'loopback is not trusted by default');
});

test('POST /verify reports a URL for a bucket outside S3_BUCKETS with URL_BUCKET_NOT_ALLOWED', async (t) => {
  const { app, s3 } = await startLocalApp(t, { S3_BUCKETS: 'local-uploads,archive' });
  const client = embeddedS3Client(s3);
  t.after(() => client.destroy());
  const verify = async (bucket: string) => {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: 'a/b.txt' }), {
      expiresIn: 900,
    });
    return (await app.inject({ method: 'POST', url: '/verify', payload: { url } })).json();
  };
  const allowed = await verify('archive');
  assert.equal(allowed.valid, true, JSON.stringify(allowed.failures));
  const other = await verify('other-bucket');
  assert.equal(other.valid, false);
  assert.deepEqual(other.failures, [
    {
      code: 'URL_BUCKET_NOT_ALLOWED',
      message: 'bucket "other-bucket" is not on the bucket allowlist (S3_BUCKETS)',
      count: 1,
    },
  ]);
  // The rest of the report still describes the URL.
  assert.equal(other.bucket, 'other-bucket');
  assert.equal(other.key, 'a/b.txt');
});

test('POST /verify {url, fields} judges a POST policy form: the service’s own, and the AWS SDK’s', async (t) => {
  const { app, auth, s3 } = await startLocalApp(t);
  const own = await app.inject({
    method: 'POST',
    url: '/uploads',
    headers: auth,
    payload: { filename: 'a.txt', contentType: 'text/plain', contentLength: 5, method: 'post' },
  });
  const { url, fields, key } = own.json();
  const ownReport = (await app.inject({ method: 'POST', url: '/verify', payload: { url, fields } })).json();
  assert.equal(ownReport.valid, true, JSON.stringify(ownReport.failures));
  assert.equal(ownReport.key, key);
  assert.equal(ownReport.bucket, 'local-uploads');
  // The same URL without its fields is judged as an object URL, which a form's URL is not.
  assert.equal((await app.inject({ method: 'POST', url: '/verify', payload: { url } })).json().valid, false);

  const client = embeddedS3Client(s3);
  t.after(() => client.destroy());
  const sdk = await createPresignedPost(client, {
    Bucket: 'local-uploads',
    Key: 'inbox/${filename}',
    Conditions: [
      ['starts-with', '$key', 'inbox/'],
      ['content-length-range', 0, 1024],
    ],
  });
  const sdkReport = (await app.inject({ method: 'POST', url: '/verify', payload: sdk })).json();
  assert.equal(sdkReport.valid, true, JSON.stringify(sdkReport.failures));
  const elsewhere = await createPresignedPost(client, { Bucket: 'other-bucket', Key: 'k' });
  assert.deepEqual(
    (await app.inject({ method: 'POST', url: '/verify', payload: elsewhere }))
      .json()
      .failures.map((failure: { code: string }) => failure.code),
    ['URL_BUCKET_NOT_ALLOWED'],
  );
});

test('POST /verify refuses fields that are not a form’s with 400', async (t) => {
  const { app } = await startLocalApp(t);
  const url = 'http://127.0.0.1:4568/local-uploads';
  for (const [fields, problem] of [
    [{ key: 1 }, /fields\.key: /],
    [['key', 'k'], /fields: /],
    [Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`f${i}`, 'v'])), /at most 64 fields/],
    [{ '': 'v' }, /fields/],
  ] as const) {
    const response = await app.inject({ method: 'POST', url: '/verify', payload: { url, fields } });
    assert.equal(response.statusCode, 400, JSON.stringify(fields).slice(0, 80));
    assert.equal(response.json().code, 'VALIDATION_FAILED');
    assert.match(response.json().message, problem);
  }
});

test('POST /verify holds a PUT to the bucket’s encryption: missing headers, another key, an unknown method', async (t) => {
  const key = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const { app, auth } = await startLocalApp(t, { S3_SSE: 'aws:kms', S3_SSE_KMS_KEY_ID: key });
  const verify = async (payload: object) => {
    const response = await app.inject({ method: 'POST', url: '/verify', payload });
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { valid: boolean; failures: Array<{ code: string; message: string }> };
  };
  const minted = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'put', key: 'dir/f.txt' },
  });
  const { url, headers } = minted.json() as { url: string; headers: Record<string, string> };
  assert.deepEqual(headers, {
    'x-amz-meta-uploaded-by': 'local-developer',
    'x-amz-meta-grant': new URL(url).searchParams.get('x-s3p-grant'),
    'x-amz-server-side-encryption': 'aws:kms',
    'x-amz-server-side-encryption-aws-kms-key-id': key,
  });
  assert.equal((await verify({ url })).valid, true);
  assert.equal((await verify({ url, method: 'PUT', headers })).valid, true);

  // Told the client sends another key: the value behind the signature is checked.
  const otherKey = key.replace('1234abcd', '99999999');
  const mismatch = await verify({
    url,
    headers: { ...headers, 'X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id': otherKey },
  });
  assert.deepEqual(
    mismatch.failures.map((f) => f.code),
    ['URL_ENCRYPTION_MISMATCH'],
  );

  // The same URL as boto3 would make it, without the SDK's x-id: the method must be said.
  const noHint = url.replace('&x-id=PutObject', '');
  assert.deepEqual(
    (await verify({ url: noHint })).failures.map((f) => f.code),
    ['URL_METHOD_UNKNOWN'],
  );
  assert.equal((await verify({ url: noHint, method: 'PUT' })).valid, true);

  // A GET minted without encryption, offered as a PUT: the PUT lacks the headers.
  const get = await app.inject({
    method: 'POST',
    url: '/presign',
    headers: auth,
    payload: { operation: 'get', key: 'f' },
  });
  const asPut = await verify({ url: get.json().url.replace('x-id=GetObject', 'x-id=PutObject') });
  assert.deepEqual(
    asPut.failures.map((f) => f.code),
    ['URL_ENCRYPTION_MISSING'],
  );
  assert.match(
    asPut.failures[0]?.message ?? '',
    /^the URL does not sign x-amz-server-side-encryption, x-amz-server-side-encryption-aws-kms-key-id/,
  );

  for (const payload of [
    { url, method: 'DELETE' },
    { url, headers: { a: 1 } },
    { url, headers: 'x' },
  ]) {
    const response = await app.inject({ method: 'POST', url: '/verify', payload });
    assert.equal(response.statusCode, 400, JSON.stringify(payload));
    assert.equal(response.json().code, 'VALIDATION_FAILED');
  }
});

test('POST /verify takes the part GETs the service mints (partNumber), and only well-formed part numbers on a GET', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const verify = async (url: string, extra: Record<string, unknown> = {}) => {
    const response = await app.inject({ method: 'POST', url: '/verify', payload: { url, ...extra } });
    assert.equal(response.statusCode, 200);
    return response.json() as { valid: boolean; failures: Array<{ code: string; message: string }> };
  };
  for (const payload of [
    { operation: 'get', key: 'big.bin', partNumber: 3 },
    { operation: 'get', key: 'big.bin', partNumber: 10_000, checksumMode: true },
  ]) {
    const minted = await app.inject({ method: 'POST', url: '/presign', headers: auth, payload });
    assert.equal(minted.statusCode, 200, minted.body);
    const { url, headers } = minted.json() as { url: string; headers: Record<string, string> };
    const report = await verify(url);
    assert.equal(report.valid, true, `${JSON.stringify(payload)}: ${JSON.stringify(report.failures)}`);
    assert.equal((await verify(url, { method: 'GET', headers })).valid, true);

    // Another value in the same place: not a part S3 has, or another spelling of one.
    for (const value of ['0', '10001', '03', '1e3', '-1', '', 'x']) {
      const bent = url.replace(/partNumber=\d+/, `partNumber=${value}`);
      const failures = (await verify(bent)).failures.filter((failure) => failure.code === 'URL_UNEXPECTED_PARAMETER');
      assert.match(failures[0]?.message ?? '', /partNumber/, `${value}: ${JSON.stringify(failures)}`);
    }
    // The same part number on a URL checked as a PUT is not a GET of a part.
    const asPut = await verify(url, { method: 'PUT' });
    assert.equal(asPut.valid, false);
  }
});
