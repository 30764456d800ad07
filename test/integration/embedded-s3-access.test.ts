// Who may use the embedded store: as on S3, an unsigned request is refused whatever the
// operation, and browsers get CORS only from the configured origins, for the methods and
// headers of the presigned flows (bucketCorsRule). Unpatched s3rver served anonymous
// requests and answered every preflight with Access-Control-Allow-Origin: *.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { before, describe, it } from 'node:test';

import {
  CreateMultipartUploadCommand,
  GetBucketCorsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { bucketCorsRule, EXPOSED_RESPONSE_HEADERS, serviceOrigins } from '../../src/local/bucket-cors.js';
import { embeddedS3ForSuite, embeddedS3ForTest, s3ErrorOf } from '../embedded-store.js';

const BUCKET = 'access-test-bucket';
const KEY = 'existing/object.txt';
const SERVICE_ORIGINS = serviceOrigins(8080);
const FRONTEND = 'https://app.example.com';
const OTHER_ORIGIN = 'https://attacker.example';

describe('embedded S3 refuses anonymous requests', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET] });
  let uploadId: string;

  before(async () => {
    const { client } = store;
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'kept' }));
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 'mpu.bin' }));
    assert.ok(created.UploadId);
    uploadId = created.UploadId;
  });

  const url = (path: string): URL => new URL(path, store.s3.endpoint);

  it('refuses every operation without a signature with 403 AccessDenied', async () => {
    const form = new FormData();
    form.append('key', 'anonymous-form.txt');
    form.append('file', new Blob(['anonymous']), 'anonymous-form.txt');
    const requests: Array<[string, string, RequestInit?]> = [
      ['list buckets', '/'],
      ['list objects', `/${BUCKET}/`],
      ['list objects, no slash', `/${BUCKET}`],
      ['head bucket', `/${BUCKET}`, { method: 'HEAD' }],
      ['create bucket', '/anonymous-bucket', { method: 'PUT' }],
      ['delete bucket', `/${BUCKET}`, { method: 'DELETE' }],
      ['get bucket cors', `/${BUCKET}?cors`],
      ['put bucket cors', `/${BUCKET}?cors`, { method: 'PUT', body: '<CORSConfiguration/>' }],
      ['get object', `/${BUCKET}/${KEY}`],
      ['head object', `/${BUCKET}/${KEY}`, { method: 'HEAD' }],
      ['put object', `/${BUCKET}/${KEY}`, { method: 'PUT', body: 'overwritten' }],
      ['put object, new key', `/${BUCKET}/anonymous.txt`, { method: 'PUT', body: 'x' }],
      ['delete object', `/${BUCKET}/${KEY}`, { method: 'DELETE' }],
      [
        'delete objects',
        `/${BUCKET}?delete`,
        { method: 'POST', body: `<Delete><Object><Key>${KEY}</Key></Object></Delete>` },
      ],
      ['copy object', `/${BUCKET}/copy.txt`, { method: 'PUT', headers: { 'x-amz-copy-source': `/${BUCKET}/${KEY}` } }],
      ['create multipart upload', `/${BUCKET}/mpu2.bin?uploads`, { method: 'POST' }],
      ['upload part', `/${BUCKET}/mpu.bin?partNumber=1&uploadId=${uploadId}`, { method: 'PUT', body: 'part' }],
      ['list parts', `/${BUCKET}/mpu.bin?uploadId=${uploadId}`],
      ['abort multipart upload', `/${BUCKET}/mpu.bin?uploadId=${uploadId}`, { method: 'DELETE' }],
      [
        'complete multipart upload',
        `/${BUCKET}/mpu.bin?uploadId=${uploadId}`,
        { method: 'POST', body: '<CompleteMultipartUpload/>' },
      ],
      ['form upload without a policy', `/${BUCKET}`, { method: 'POST', body: form }],
      // A signature alone is no authentication: SigV4 query auth starts at X-Amz-Algorithm.
      ['a lone X-Amz-Signature', `/${BUCKET}/${KEY}?X-Amz-Signature=${'0'.repeat(64)}`],
    ];
    for (const [name, path, init] of requests) {
      const response = await fetch(url(path), init);
      if (init?.method === 'HEAD') {
        // A HEAD answer has no body to carry the code.
        assert.equal(response.status, 403, name);
        continue;
      }
      const refused = await s3ErrorOf(response);
      assert.deepEqual([refused.status, refused.code], [403, 'AccessDenied'], name);
    }

    // Nothing changed: the object is intact, nothing new was stored, the upload is still open.
    const kept = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }));
    assert.equal(await kept.Body?.transformToString(), 'kept');
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    assert.deepEqual(
      listed.Contents?.map((object) => object.Key),
      [KEY],
    );
  });

  it('refuses a presigned URL sent with an x-amz-* header it does not sign, as S3 does (HeadersNotSigned)', async () => {
    const put = await getSignedUrl(store.client, new PutObjectCommand({ Bucket: BUCKET, Key: 'unsigned.txt' }), {
      expiresIn: 60,
    });
    const get = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), {
      expiresIn: 60,
    });
    // What a caller could add to a URL the service signed: metadata or tags its policy does not
    // list, another checksum (MD5 on a single PUT), a canned ACL, checksum mode on a GET.
    const added: Array<[string, string, Record<string, string>]> = [
      [put, 'PUT', { 'x-amz-meta-owner': 'someone-else' }],
      [put, 'PUT', { 'x-amz-checksum-md5': 'XrY7u+Ae7tCTyyK7j1rNww==' }],
      [put, 'PUT', { 'x-amz-tagging': 'class=public' }],
      [put, 'PUT', { 'x-amz-acl': 'public-read' }],
      [get, 'GET', { 'x-amz-checksum-mode': 'ENABLED' }],
    ];
    for (const [signed, method, headers] of added) {
      const response = await fetch(signed, { method, headers, ...(method === 'PUT' && { body: 'hello' }) });
      const refused = await s3ErrorOf(response);
      assert.deepEqual([refused.status, refused.code], [403, 'AccessDenied'], JSON.stringify(headers));
      assert.match(refused.message ?? '', /headers present in the request which were not signed/);
    }
    const listed = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'unsigned' }));
    assert.equal(listed.KeyCount, 0);
    // The same URL with only what it signs (and the headers every client sends) is served.
    const stored = await fetch(put, { method: 'PUT', body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(stored.status, 200, await stored.text());
  });

  it('still serves the same operations when signed', async () => {
    const signed = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), {
      expiresIn: 60,
    });
    const response = await fetch(signed);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), 'kept');
  });
});

describe('embedded S3 CORS follows bucketCorsRule', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET, 'second-bucket'], corsOrigins: [...SERVICE_ORIGINS, FRONTEND] });

  before(() => store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: 'kept' })));

  function preflight(path: string, origin: string, method: string, headers?: string): Promise<Response> {
    return fetch(new URL(path, store.s3.endpoint), {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': method,
        ...(headers === undefined ? {} : { 'access-control-request-headers': headers }),
      },
    });
  }

  it('stores exactly the documented rule on every bucket', async () => {
    for (const bucket of [BUCKET, 'second-bucket']) {
      const stored = await store.client.send(new GetBucketCorsCommand({ Bucket: bucket }));
      const rule = bucketCorsRule([...SERVICE_ORIGINS, FRONTEND]);
      assert.deepEqual(
        stored.CORSRules?.map((r) => ({
          AllowedOrigins: r.AllowedOrigins,
          AllowedMethods: r.AllowedMethods,
          AllowedHeaders: r.AllowedHeaders,
          ExposeHeaders: r.ExposeHeaders,
          MaxAgeSeconds: r.MaxAgeSeconds,
        })),
        [rule],
        bucket,
      );
    }
  });

  it('answers a preflight from each allowed origin with that origin, the flows methods and ETag exposed', async () => {
    for (const origin of [...SERVICE_ORIGINS, FRONTEND]) {
      const response = await preflight(`/${BUCKET}/upload.bin`, origin, 'PUT', 'content-type,x-amz-checksum-sha256');
      await response.arrayBuffer();
      assert.equal(response.status, 200, origin);
      assert.equal(response.headers.get('access-control-allow-origin'), origin);
      assert.equal(response.headers.get('access-control-allow-methods'), 'GET, HEAD, PUT, POST');
      assert.equal(response.headers.get('access-control-allow-headers'), 'content-type, x-amz-checksum-sha256');
      assert.equal(response.headers.get('access-control-expose-headers'), EXPOSED_RESPONSE_HEADERS.join(', '));
      assert.match(response.headers.get('vary') ?? '', /\bOrigin\b/);
    }
    // A form upload POSTs to the bucket itself.
    const post = await preflight(`/${BUCKET}`, FRONTEND, 'POST');
    await post.arrayBuffer();
    assert.equal(post.status, 200);
    assert.equal(post.headers.get('access-control-allow-origin'), FRONTEND);
  });

  it('exposes ETag on the actual response to an allowed origin', async () => {
    const signed = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: KEY }), {
      expiresIn: 60,
    });
    const response = await fetch(signed, { headers: { origin: FRONTEND } });
    await response.arrayBuffer();
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), FRONTEND);
    assert.equal(response.headers.get('access-control-expose-headers'), EXPOSED_RESPONSE_HEADERS.join(', '));
    assert.ok(response.headers.get('etag'));

    const other = await fetch(signed, { headers: { origin: OTHER_ORIGIN } });
    await other.arrayBuffer();
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('refuses a preflight from another origin, for another method or with another header', async () => {
    const refused: Array<[string, string, string, string?]> = [
      ['other origin', OTHER_ORIGIN, 'PUT'],
      ['look-alike origin', `${FRONTEND}.attacker.example`, 'GET'],
      ['other port', 'http://127.0.0.1:8081', 'PUT'],
      ['null origin', 'null', 'GET'],
      ['DELETE', FRONTEND, 'DELETE'],
      ['PATCH', FRONTEND, 'PATCH'],
      ['authorization header', FRONTEND, 'PUT', 'authorization'],
      ['x-amz-acl header', FRONTEND, 'PUT', 'content-type,x-amz-acl'],
    ];
    for (const [name, origin, method, headers] of refused) {
      const response = await preflight(`/${BUCKET}/upload.bin`, origin, method, headers);
      assert.equal(response.headers.get('access-control-allow-origin'), null, name);
      const answer = await s3ErrorOf(response);
      assert.deepEqual([answer.status, answer.code], [403, 'CORSResponse'], name);
    }
  });

  it('answers no origin at all when none is configured', async (t) => {
    const closed = await embeddedS3ForTest(t, { buckets: [BUCKET] });
    const response = await fetch(new URL(`/${BUCKET}/upload.bin`, closed.s3.endpoint), {
      method: 'OPTIONS',
      headers: { origin: SERVICE_ORIGINS[0] ?? '', 'access-control-request-method': 'PUT' },
    });
    const refused = await s3ErrorOf(response);
    assert.deepEqual([refused.status, refused.code], [403, 'CORSResponse']);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });
});

describe('bucketCorsRule', () => {
  it('is the rule the docs tell operators to put on their bucket', async () => {
    const page = await readFile(new URL('../../docs/bucket-cors.md', import.meta.url), 'utf8');
    const documented = /<!-- bucket-cors-rule: ([^>]*) -->\s*```json\n([\s\S]*?)```/.exec(page);
    assert.ok(documented, 'docs/bucket-cors.md has no bucket-cors-rule block');
    const origins = (documented[1] ?? '').trim().split(/\s*,\s*/);
    assert.deepEqual(JSON.parse(documented[2] ?? ''), { CORSRules: [bucketCorsRule(origins)] });
  });

  it('refuses wildcards and an empty origin list', () => {
    assert.throws(() => bucketCorsRule(['*']), /exact/);
    assert.throws(() => bucketCorsRule(['https://*.example.com']), /exact/);
    assert.throws(() => bucketCorsRule([]), /at least one origin/);
  });
});
