// Server-side encryption on every upload path of the service, end to end against the embedded
// store (which records an object's encryption and verifies every signature and form policy):
// /presign put, /presign/batch, /uploads (PUT and form POST), /multipart, Uppy 6's /s3/sign
// and Companion's /s3/params and /s3/multipart. For each, the configured encryption reaches
// the stored object; a PUT sent without the signed encryption headers, or a form without its
// encryption fields, is refused by the store. One bucket of the allowlist is configured apart
// (S3_SSE_BUCKETS) and gets its own.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';

import { HeadObjectCommand } from '@aws-sdk/client-s3';

import { embeddedS3Client, startLocalApp, type LocalApp } from '../helpers.js';

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const KMS = {
  'x-amz-server-side-encryption': 'aws:kms',
  'x-amz-server-side-encryption-aws-kms-key-id': KEY_ARN,
  'x-amz-server-side-encryption-bucket-key-enabled': 'true',
};
const STORED_KMS = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: KEY_ARN, BucketKeyEnabled: true };
const ENV = {
  S3_BUCKETS: 'local-uploads,aes-uploads',
  S3_SSE: 'aws:kms',
  S3_SSE_KMS_KEY_ID: KEY_ARN,
  S3_SSE_BUCKET_KEY: 'true',
  S3_SSE_BUCKETS: JSON.stringify({ 'aes-uploads': { sse: 'AES256' } }),
};

async function start(
  t: TestContext,
  extra: Record<string, string> = {},
): Promise<LocalApp & { storedEncryption(bucket: string, key: string): Promise<object> }> {
  const local = await startLocalApp(t, { ...ENV, ...extra });
  const client = embeddedS3Client(local.s3);
  t.after(() => client.destroy());
  return {
    ...local,
    async storedEncryption(bucket, key) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        ServerSideEncryption: head.ServerSideEncryption,
        SSEKMSKeyId: head.SSEKMSKeyId,
        BucketKeyEnabled: head.BucketKeyEnabled,
      };
    },
  };
}

function without(headers: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(prefix)));
}

/** PUTs the body with the headers; the store's status and error code. */
async function put(url: string, headers: Record<string, string>, body: string) {
  const response = await fetch(url, { method: 'PUT', headers, body });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] };
}

async function postForm(url: string, fields: Record<string, string>, body: string) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([body], { type: 'text/plain' }), 'f.txt');
  const response = await fetch(url, { method: 'POST', body: form });
  const text = await response.text();
  return { status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1], text };
}

/** A PUT URL's encryption: sent as told it is stored; sent without the headers, refused. */
async function assertPutPath(
  env: Awaited<ReturnType<typeof start>>,
  presigned: { url: string; headers: Record<string, string>; bucket: string; key: string },
  expected: object,
) {
  const stripped = without(presigned.headers, 'x-amz-server-side-encryption');
  assert.notDeepEqual(stripped, presigned.headers, 'the URL binds encryption headers');
  const refused = await put(presigned.url, stripped, 'body');
  assert.deepEqual(refused, { status: 403, code: 'SignatureDoesNotMatch' }, 'sent without its encryption headers');
  const otherKey = { ...presigned.headers };
  if (otherKey['x-amz-server-side-encryption-aws-kms-key-id'] !== undefined) {
    otherKey['x-amz-server-side-encryption-aws-kms-key-id'] = KEY_ARN.replace('1234abcd', '99999999');
    assert.deepEqual(await put(presigned.url, otherKey, 'body'), { status: 403, code: 'SignatureDoesNotMatch' });
  }
  assert.equal((await put(presigned.url, presigned.headers, 'body')).status, 200);
  assert.deepEqual(await env.storedEncryption(presigned.bucket, presigned.key), expected);
}

describe('server-side encryption on every upload path', () => {
  it('/presign put: the bucket’s encryption is signed, returned, stored; per-bucket settings apply', async (t) => {
    const env = await start(t);
    const presign = async (payload: object) => {
      const response = await env.app.inject({ method: 'POST', url: '/presign', headers: env.auth, payload });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const kms = await presign({ operation: 'put', key: 'a/one.txt', contentType: 'text/plain' });
    assert.deepEqual(kms.headers, { 'content-type': 'text/plain', ...KMS });
    await assertPutPath(env, kms, STORED_KMS);

    const aes = await presign({ operation: 'put', bucket: 'aes-uploads', key: 'a/two.txt' });
    assert.deepEqual(aes.headers, { 'x-amz-server-side-encryption': 'AES256' });
    await assertPutPath(env, aes, {
      ServerSideEncryption: 'AES256',
      SSEKMSKeyId: undefined,
      BucketKeyEnabled: undefined,
    });

    // A GET carries none: S3 refuses encryption headers on GetObject.
    const get = await presign({ operation: 'get', key: 'a/one.txt' });
    assert.deepEqual(get.headers, {});
    assert.equal((await fetch(get.url)).status, 200);
  });

  it('/presign put with the SDK engine (PRESIGN_ENGINE=sdk): the same headers, kept as headers, stored alike', async (t) => {
    const env = await start(t, { PRESIGN_ENGINE: 'sdk' });
    const response = await env.app.inject({
      method: 'POST',
      url: '/presign',
      headers: env.auth,
      payload: { operation: 'put', key: 'sdk/one.txt' },
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json().headers, KMS);
    await assertPutPath(env, response.json(), STORED_KMS);
  });

  it('/presign/batch: each PUT carries its bucket’s encryption', async (t) => {
    const env = await start(t);
    const response = await env.app.inject({
      method: 'POST',
      url: '/presign/batch',
      headers: env.auth,
      payload: {
        items: [
          { operation: 'put', key: 'batch/1.txt' },
          { operation: 'put', bucket: 'aes-uploads', key: 'batch/2.txt' },
        ],
      },
    });
    assert.equal(response.statusCode, 200, response.body);
    const [first, second] = response.json().results.map((item: { result: object }) => item.result);
    await assertPutPath(env, first, STORED_KMS);
    await assertPutPath(env, second, {
      ServerSideEncryption: 'AES256',
      SSEKMSKeyId: undefined,
      BucketKeyEnabled: undefined,
    });
  });

  it('/uploads PUT: the frontend is told to send the encryption headers; without them the store refuses', async (t) => {
    const env = await start(t);
    const response = await env.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: env.auth,
      payload: { filename: 'photo.txt', contentType: 'text/plain', contentLength: 4 },
    });
    assert.equal(response.statusCode, 200, response.body);
    const presigned = response.json();
    assert.deepEqual(without(presigned.headers, 'content-'), KMS);
    await assertPutPath(env, presigned, STORED_KMS);
  });

  it('/uploads form POST: encryption fields with exact conditions; a form without them, or with another key, is refused', async (t) => {
    const env = await start(t);
    const response = await env.app.inject({
      method: 'POST',
      url: '/uploads',
      headers: env.auth,
      payload: { filename: 'form.txt', contentType: 'text/plain', contentLength: 4, method: 'post' },
    });
    assert.equal(response.statusCode, 200, response.body);
    const { url, fields, key } = response.json();
    for (const [name, value] of Object.entries(KMS)) assert.equal(fields[name], value);
    const bare = await postForm(url, without(fields, 'x-amz-server-side-encryption'), 'body');
    assert.equal(bare.status, 403, bare.text);
    assert.equal(bare.code, 'AccessDenied');
    const otherKey = await postForm(
      url,
      { ...fields, 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:other' },
      'body',
    );
    assert.equal(otherKey.status, 403, otherKey.text);
    const stored = await postForm(url, fields, 'body');
    assert.equal(stored.status, 201, stored.text);
    assert.deepEqual(await env.storedEncryption('local-uploads', key), STORED_KMS);
  });

  it('/multipart: CreateMultipartUpload carries the encryption, parts carry none, the completed object has it', async (t) => {
    const env = await start(t);
    const call = async (url: string, payload: object) => {
      const response = await env.app.inject({ method: 'POST', url, headers: env.auth, payload });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const created = await call('/multipart', {
      filename: 'big.bin',
      contentType: 'application/octet-stream',
      contentLength: 9,
    });
    const { parts } = await call('/multipart/parts', {
      key: created.key,
      uploadId: created.uploadId,
      partNumbers: [1],
    });
    assert.deepEqual(parts[0].headers, { 'content-length': '9' }, 'UploadPart takes no encryption header');
    const sent = await fetch(parts[0].url, { method: 'PUT', headers: parts[0].headers, body: 'nine byte' });
    assert.equal(sent.status, 200);
    await call('/multipart/complete', {
      key: created.key,
      uploadId: created.uploadId,
      parts: [{ partNumber: 1, etag: sent.headers.get('etag') }],
    });
    assert.deepEqual(await env.storedEncryption(created.bucket, created.key), STORED_KMS);
  });

  it('Uppy 6 (/s3/sign): the whole-file form and the multipart upload both carry the encryption', async (t) => {
    const env = await start(t);
    const sign = async (payload: object) => {
      const response = await env.app.inject({ method: 'POST', url: '/s3/sign', headers: env.auth, payload });
      assert.equal(response.statusCode, 200, response.body);
      return response.json();
    };
    const whole = await sign({ method: 'PUT', key: 'rand-note.txt', contentType: 'text/plain' });
    for (const [name, value] of Object.entries(KMS)) assert.equal(whole.fields[name], value);
    assert.equal((await postForm(whole.url, without(whole.fields, 'x-amz-server-side-encryption'), 'x')).status, 403);
    assert.equal((await postForm(whole.url, whole.fields, 'x')).status, 201);
    assert.deepEqual(await env.storedEncryption('local-uploads', whole.key), STORED_KMS);

    // A multipart upload declares its size: the one part below is the whole file.
    const create = await sign({ method: 'POST', key: 'rand-clip.bin', size: 'part one'.length });
    const createUrl = new URL(create.url, 'http://service.test');
    const initiated = await env.app.inject({
      method: 'POST',
      url: `${createUrl.pathname}${createUrl.search}`,
      headers: { ...env.auth, 'content-type': 'application/octet-stream' },
    });
    assert.equal(initiated.statusCode, 200, initiated.body);
    const uploadId = unescapeXml(/<UploadId>([^<]+)<\/UploadId>/.exec(initiated.body)?.[1] ?? '');
    const part = await sign({ method: 'PUT', key: create.key, uploadId, partNumber: 1 });
    assert.equal(
      Object.keys(part.headers ?? {}).some((name) => name.startsWith('x-amz-server-side-encryption')),
      false,
    );
    const sent = await fetch(part.url, { method: 'PUT', headers: part.headers, body: 'part one' });
    assert.equal(sent.status, 200);
    const complete = new URL((await sign({ method: 'POST', key: create.key, uploadId })).url, 'http://service.test');
    const completed = await env.app.inject({
      method: 'POST',
      url: `${complete.pathname}${complete.search}`,
      headers: { ...env.auth, 'content-type': 'application/xml' },
      payload: `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${sent.headers.get('etag')}</ETag></Part></CompleteMultipartUpload>`,
    });
    assert.equal(completed.statusCode, 200, completed.body);
    assert.deepEqual(await env.storedEncryption('local-uploads', create.key), STORED_KMS);
  });

  it('Companion (/s3/params, /s3/multipart): the form and the multipart upload both carry the encryption', async (t) => {
    const env = await start(t);
    const params = await env.app.inject({
      method: 'GET',
      url: '/s3/params?filename=c.txt&type=text/plain',
      headers: env.auth,
    });
    assert.equal(params.statusCode, 200, params.body);
    const { url, fields } = params.json();
    assert.equal((await postForm(url, without(fields, 'x-amz-server-side-encryption'), 'c')).status, 403);
    assert.equal((await postForm(url, fields, 'c')).status, 201);
    assert.deepEqual(await env.storedEncryption('local-uploads', fields.key), STORED_KMS);

    const created = await env.app.inject({
      method: 'POST',
      url: '/s3/multipart',
      headers: env.auth,
      payload: { filename: 'c.bin', type: 'application/octet-stream', metadata: { size: 'companion part'.length } },
    });
    assert.equal(created.statusCode, 200, created.body);
    const { key, uploadId } = created.json();
    const path = `/s3/multipart/${encodeURIComponent(uploadId)}`;
    const query = `key=${encodeURIComponent(key)}`;
    const batch = await env.app.inject({
      method: 'GET',
      url: `${path}/batch?${query}&partNumbers=1`,
      headers: env.auth,
    });
    const sent = await fetch(batch.json().presignedUrls['1'], { method: 'PUT', body: 'companion part' });
    assert.equal(sent.status, 200);
    const completed = await env.app.inject({
      method: 'POST',
      url: `${path}/complete?${query}`,
      headers: env.auth,
      payload: { parts: [{ PartNumber: 1, ETag: sent.headers.get('etag') }] },
    });
    assert.equal(completed.statusCode, 200, completed.body);
    assert.deepEqual(await env.storedEncryption('local-uploads', key), STORED_KMS);
  });
});

function unescapeXml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
