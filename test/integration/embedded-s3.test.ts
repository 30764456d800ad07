// Read when the first S3Client is constructed, so setting it before any test runs is enough.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import {
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { startEmbeddedS3 } from '../../src/local/embedded-s3.js';
import { embeddedS3Client } from '../helpers.js';
import { embeddedS3ForSuite, embeddedS3ForTest, s3ErrorOf } from '../embedded-store.js';

const BUCKET = 'embedded-test-bucket';

describe('embedded S3 (s3rver) with the AWS SDK v3', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET] });

  it('listens on an ephemeral loopback port, with a key pair of its own', () => {
    assert.equal(store.s3.endpoint.protocol, 'http:');
    assert.equal(store.s3.endpoint.hostname, '127.0.0.1');
    assert.notEqual(store.s3.endpoint.port, '');
    assert.notEqual(store.s3.endpoint.port, '0');
    assert.equal(store.s3.region, 'us-east-1');
    assert.match(store.s3.credentials.accessKeyId, /^LOCAL[0-9A-F]{16}$/);
    assert.match(store.s3.credentials.secretAccessKey, /^[\w-]{40}$/);
  });

  // The SDK sends and signs "/bucket/" for bucket operations; unpatched s3rver
  // verified against "/bucket" and answered 403 SignatureDoesNotMatch.
  it('accepts HeadBucket and ListObjectsV2 signed by the SDK', async () => {
    const head = await store.client.send(new HeadBucketCommand({ Bucket: BUCKET }));
    assert.equal(head.$metadata.httpStatusCode, 200);

    const list = await store.client.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    assert.equal(list.$metadata.httpStatusCode, 200);
  });

  // Guards against fixing the above by always appending a slash.
  it('still accepts a bucket request sent and signed without the trailing slash', async (t) => {
    const noSlashClient = embeddedS3Client(store.s3);
    t.after(() => noSlashClient.destroy());
    let sentPath: string | undefined;
    // The build step runs before signing, so the signature covers the rewritten path.
    noSlashClient.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { path: string };
        request.path = request.path.replace(/\/$/, '');
        sentPath = request.path;
        return next(args);
      },
      { step: 'build', name: 'stripBucketTrailingSlash' },
    );

    const head = await noSlashClient.send(new HeadBucketCommand({ Bucket: BUCKET }));
    assert.equal(sentPath, `/${BUCKET}`);
    assert.equal(head.$metadata.httpStatusCode, 200);
  });

  it('round-trips bytes through a presigned PUT and a presigned GET', async () => {
    const key = 'round trip/bytes (1).bin';
    const payload = randomBytes(4096);

    const putUrl = await getSignedUrl(store.client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 300,
    });
    const put = await fetch(putUrl, { method: 'PUT', body: payload });
    await put.arrayBuffer();
    assert.equal(put.status, 200);

    const getUrl = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 300,
    });
    const get = await fetch(getUrl);
    const received = Buffer.from(await get.arrayBuffer());
    assert.equal(get.status, 200);
    assert.deepEqual(received, payload);
  });

  // SigV4 percent-encodes ' ( ) ! * in query values; unpatched s3rver used
  // encodeURIComponent, which leaves them literal, and answered 403.
  it('honours a presigned response-content-disposition containing RFC 3986 reserved characters', async () => {
    const key = 'disposition.txt';
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello' }));
    const disposition = 'attachment; filename="it\'s (a) test!*.txt"';

    const url = await getSignedUrl(
      store.client,
      new GetObjectCommand({ Bucket: BUCKET, Key: key, ResponseContentDisposition: disposition }),
      { expiresIn: 300 },
    );
    const response = await fetch(url);
    const body = await response.text();
    assert.equal(response.status, 200, body);
    assert.equal(response.headers.get('content-disposition'), disposition);
    assert.equal(body, 'hello');
  });

  it('refuses a presigned URL whose signature was tampered with', async () => {
    const key = 'tamper.txt';
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const url = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 300,
    });

    // Edit the raw string: re-serialising through URLSearchParams would re-encode
    // the other parameters and test something else.
    const signature = /[?&]X-Amz-Signature=([0-9a-f]{64})(?:&|$)/.exec(url)?.[1];
    assert.ok(signature, `no X-Amz-Signature in ${url}`);
    const flipped = (signature[0] === '0' ? '1' : '0') + signature.slice(1);
    const tampered = url.replace(`X-Amz-Signature=${signature}`, `X-Amz-Signature=${flipped}`);
    assert.notEqual(tampered, url);

    const genuine = await fetch(url);
    await genuine.arrayBuffer();
    assert.equal(genuine.status, 200);

    const refused = await fetch(tampered);
    assert.equal(refused.status, 403);
    assert.equal((await s3ErrorOf(refused)).code, 'SignatureDoesNotMatch');
  });

  it('refuses an upload whose content-type differs from the signed one', async () => {
    const url = await getSignedUrl(
      store.client,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'typed.txt', ContentType: 'text/plain' }),
      { expiresIn: 300, signableHeaders: new Set(['content-type']) },
    );
    assert.match(url, /X-Amz-SignedHeaders=content-type%3Bhost/);

    const refused = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"not":"text"}',
    });
    assert.equal(refused.status, 403);
    assert.equal((await s3ErrorOf(refused)).code, 'SignatureDoesNotMatch');

    const accepted = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'plain text',
    });
    await accepted.arrayBuffer();
    assert.equal(accepted.status, 200);
  });

  it('refuses an expired presigned URL', async () => {
    const key = 'expired.txt';
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    const url = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 2 * 60 * 60 * 1000),
    });

    const response = await fetch(url);
    assert.equal(response.status, 403);
    assert.equal((await s3ErrorOf(response)).code, 'AccessDenied');
  });

  // Unpatched, X-Amz-Expires=NaN made the expiry check always pass: a URL that never expired.
  it('refuses a presigned URL whose X-Amz-Expires is not a whole number of seconds', async () => {
    const key = 'expires.txt';
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' }));
    for (const [expiresIn, message] of [
      [Number.NaN, 'X-Amz-Expires should be a number'],
      [1.5, 'X-Amz-Expires should be a number'],
      [-5, 'X-Amz-Expires must be non-negative'],
    ] as const) {
      const url = await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
        expiresIn,
        signingDate: new Date(Date.now() - 60 * 60 * 1000),
      });
      const refused = await s3ErrorOf(await fetch(url));
      assert.equal(refused.status, 400, `${expiresIn}: ${refused.body}`);
      assert.equal(refused.code, 'AuthorizationQueryParametersError');
      assert.equal(refused.message, message);
    }
  });

  it('answers a CORS preflight with an error when the bucket has no CORS configuration', async () => {
    const response = await fetch(new URL(`/${BUCKET}/upload.txt`, store.s3.endpoint), {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'PUT' },
    });
    assert.equal(response.status, 403);
    assert.equal((await s3ErrorOf(response)).code, 'CORSResponse');
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });
});

describe('embedded S3 accepts only the key pair it drew at its start', () => {
  // Unpatched, s3rver accepted its well-known S3RVER/S3RVER pair, in every server of the
  // process: any page open in the developer's browser could sign a form into the local bucket.
  const WELL_KNOWN = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

  it("refuses the well-known pair, and another store's pair in the same process, for URLs and forms", async (t) => {
    const { s3 } = await embeddedS3ForTest(t, { buckets: [BUCKET] });
    const { s3: other } = await embeddedS3ForTest(t, { buckets: [BUCKET] });
    assert.notDeepEqual(s3.credentials, other.credentials, 'a new pair at each start');
    const signedBy = (credentials: { accessKeyId: string; secretAccessKey: string }) => {
      const client = new S3Client({
        endpoint: s3.endpoint.href,
        region: s3.region,
        forcePathStyle: true,
        credentials,
        requestChecksumCalculation: 'WHEN_REQUIRED',
      });
      t.after(() => client.destroy());
      return client;
    };
    const put = async (client: S3Client) => {
      const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: 'put.txt' }));
      return fetch(url, { method: 'PUT', body: 'x' });
    };
    const post = async (client: S3Client) => {
      const { url, fields } = await createPresignedPost(client, { Bucket: BUCKET, Key: 'form.txt', Expires: 60 });
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob(['x']), 'form.txt');
      return fetch(url, { method: 'POST', body: form });
    };
    for (const keys of [WELL_KNOWN, other.credentials]) {
      for (const send of [put, post]) {
        const refused = await send(signedBy(keys));
        assert.equal(refused.status, 403, `${keys.accessKeyId}, ${send.name}`);
        assert.equal((await s3ErrorOf(refused)).code, 'InvalidAccessKeyId');
      }
    }
    const own = signedBy(s3.credentials);
    await assert.rejects(own.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'put.txt' })), { name: 'NoSuchKey' });
    assert.equal((await put(own)).status, 200);
    assert.equal((await post(own)).status, 204);
  });
});

describe('startEmbeddedS3 options', () => {
  it('keeps a caller-supplied directory on close, and close() can be called twice', async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 'embedded-s3-test-'));
    t.after(() => rm(directory, { recursive: true, force: true }));

    const s3 = await startEmbeddedS3({ buckets: [BUCKET], directory });
    await s3.close();
    await s3.close();

    assert.deepEqual(await readdir(directory), [BUCKET]);
  });

  // A browser that holds a request open, or a client that stops half way through a body,
  // kept s3rver's close() from resolving until Node's request timeout (5 minutes), and with it
  // a test's cleanup.
  it('closes while a client is half way through an upload, and drops that connection', async (t) => {
    const s3 = await startEmbeddedS3({ buckets: [BUCKET] });
    const client = embeddedS3Client(s3);
    t.after(() => client.destroy());
    // Signed, so the server accepts it and waits for the rest of the body.
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: 'half.bin' }), {
      expiresIn: 60,
    });
    const upload = request(url, { method: 'PUT', headers: { 'content-length': '1000' } });
    const dropped = new Promise<unknown>((resolve) => upload.on('error', resolve));
    upload.write('abc');
    // Time for the server to read the headers: the connection is then active, not idle.
    await new Promise((resolve) => setTimeout(resolve, 200));

    let deadline: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      s3.close().then(() => 'closed'),
      new Promise((resolve) => (deadline = setTimeout(resolve, 10_000, 'still open after 10 s'))),
    ]).finally(() => {
      clearTimeout(deadline);
      upload.destroy();
    });
    assert.equal(closed, 'closed');
    assert.match(String(await dropped), /socket hang up|ECONNRESET/);
  });
});

describe('embedded S3 keeps every key inside its directory', () => {
  // s3rver stores each "/" segment of a key as a directory: unpatched, a key or bucket
  // with ".." segments wrote files anywhere the process could write.
  it('refuses keys with "." or ".." segments and bucket names that are paths, writing nothing outside', async (t) => {
    const { client, sandbox, directory } = await embeddedS3ForTest(t, { buckets: [BUCKET], sandboxed: true });

    for (const key of ['../../escaped', 'a/../../../escaped', './escaped', 'a/./b', 'a/..', 'nul\0byte']) {
      const refused = await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x' })).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(refused instanceof S3ServiceException, `${JSON.stringify(key)} was stored`);
      assert.equal(refused.$metadata.httpStatusCode, 400, key);
      assert.equal(refused.name, 'InvalidArgument', key);
    }
    for (const bucket of ['..', '../..', '.']) {
      const refused = await client
        .send(new PutObjectCommand({ Bucket: bucket, Key: `${bucket}/escaped`, Body: 'x' }))
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      assert.ok(refused instanceof Error, `bucket ${bucket} accepted`);
    }
    assert.deepEqual(await readdir(sandbox), ['store']);
    assert.deepEqual(await readdir(directory), [BUCKET]);

    // Dots inside a segment are ordinary characters.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a..b/.hidden/..c', Body: 'x' }));
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a..b/.hidden/..c' }));
    assert.equal(await stored.Body?.transformToString(), 'x');
  });
});
