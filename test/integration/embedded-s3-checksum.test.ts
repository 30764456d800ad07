// The embedded S3 server checks a body against its x-amz-checksum-sha256 and Content-MD5
// headers, as S3 does (patches/@20minutes+s3rver+4.0.4.patch): unpatched s3rver 4.0.4
// ignored both and stored whatever bytes arrived.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';

import { embeddedS3ForSuite, s3ErrorOf } from '../embedded-store.js';

const BUCKET = 'checksum-test-bucket';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64');
const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('base64');

describe('embedded S3 enforces body checksums', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET] });

  /** A PUT URL signed the way the service signs one: type, length and checksum bound. */
  async function presignPut(key: string, body: Uint8Array, checksumSha256: string): Promise<string> {
    const url = await getSignedUrl(
      store.client,
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        ContentType: 'application/octet-stream',
        ContentLength: body.byteLength,
        ChecksumSHA256: checksumSha256,
      }),
      {
        expiresIn: 300,
        signableHeaders: new Set(['content-type', 'content-length']),
        unhoistableHeaders: new Set(['x-amz-checksum-sha256']),
      },
    );
    // The checksum is a signed header the client must send, never a query parameter.
    assert.match(url, /X-Amz-SignedHeaders=content-length%3Bcontent-type%3Bhost%3Bx-amz-checksum-sha256/);
    assert.doesNotMatch(url, /[?&]x-amz-checksum/i);
    return url;
  }

  function put(url: string, body: Uint8Array, checksumSha256: string): Promise<Response> {
    return fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', 'x-amz-checksum-sha256': checksumSha256 },
      body,
    });
  }

  async function get(key: string): Promise<Response> {
    return fetch(
      await getSignedUrl(store.client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 }),
    );
  }

  it('stores an upload whose bytes match the signed x-amz-checksum-sha256', async () => {
    const key = 'checksum/right.bin';
    const body = randomBytes(64 * 1024);
    const checksum = sha256(body);

    const response = await put(await presignPut(key, body, checksum), body, checksum);
    assert.equal(response.status, 200, await response.text());

    const stored = await get(key);
    assert.equal(stored.status, 200);
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), body);
  });

  it('refuses other bytes of the same length with 400 BadDigest, and stores nothing', async () => {
    const key = 'checksum/wrong.bin';
    const signed = randomBytes(64 * 1024);
    const checksum = sha256(signed);
    const other = Buffer.from(signed);
    other[1000] = (other[1000] ?? 0) ^ 0xff;

    const refused = await s3ErrorOf(await put(await presignPut(key, signed, checksum), other, checksum));
    assert.deepEqual(
      [refused.status, refused.code, refused.message],
      [400, 'BadDigest', 'The SHA256 you specified did not match the calculated checksum.'],
    );

    const stored = await get(key);
    assert.equal(stored.status, 404);
    assert.equal((await s3ErrorOf(stored)).code, 'NoSuchKey');
  });

  it('leaves an existing object intact when an overwrite fails its checksum', async () => {
    const key = 'checksum/kept.bin';
    const original = randomBytes(2048);
    const first = await put(await presignPut(key, original, sha256(original)), original, sha256(original));
    await first.arrayBuffer();
    assert.equal(first.status, 200);

    const replacement = randomBytes(2048);
    const refused = await put(await presignPut(key, replacement, sha256(original)), replacement, sha256(original));
    assert.equal((await s3ErrorOf(refused)).code, 'BadDigest');

    const stored = await get(key);
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), original);
  });

  it('refuses a malformed x-amz-checksum-sha256 with 400 InvalidRequest', async () => {
    const body = Buffer.from('hello');
    const hexDigest = createHash('sha256').update(body).digest('hex');
    const malformed = [
      hexDigest, // hex rather than base64
      md5(body), // base64, but 16 bytes
      sha256(body).slice(0, -1), // truncated
      `${sha256(body).slice(0, 42)}!=`, // not base64
    ];
    for (const [index, value] of malformed.entries()) {
      const key = `checksum/malformed-${index}.txt`;
      const response = await put(await presignPut(key, body, value), body, value);
      const refused = await s3ErrorOf(response);
      assert.deepEqual(
        [refused.status, refused.code, refused.message],
        [400, 'InvalidRequest', 'Value for x-amz-checksum-sha256 header is invalid.'],
        value,
      );
      assert.equal((await get(key)).status, 404, value);
    }
  });

  it('accepts an empty body with the checksum of no bytes', async () => {
    const body = new Uint8Array(0);
    const checksum = sha256(body);
    const response = await put(await presignPut('checksum/empty', body, checksum), body, checksum);
    assert.equal(response.status, 200, await response.text());
    const stored = await get('checksum/empty');
    assert.equal((await stored.arrayBuffer()).byteLength, 0);
  });

  it('honours Content-MD5 (BadDigest on a mismatch, InvalidDigest when malformed)', async () => {
    const body = Buffer.from('content-md5 body');

    const ok = await store.client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'md5/right.txt', Body: body, ContentMD5: md5(body) }),
    );
    assert.equal(ok.$metadata.httpStatusCode, 200);

    const sendRefused = async (key: string, contentMd5: string): Promise<S3ServiceException> => {
      try {
        await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentMD5: contentMd5 }));
      } catch (error) {
        assert.ok(error instanceof S3ServiceException, String(error));
        return error;
      }
      assert.fail(`PutObject ${key} with Content-MD5 ${contentMd5} was accepted`);
    };

    const mismatch = await sendRefused('md5/wrong.txt', md5(Buffer.from('other bytes')));
    assert.equal(mismatch.$metadata.httpStatusCode, 400);
    assert.equal(mismatch.name, 'BadDigest');

    const malformed = await sendRefused('md5/malformed.txt', 'not-an-md5');
    assert.equal(malformed.$metadata.httpStatusCode, 400);
    assert.equal(malformed.name, 'InvalidDigest');

    assert.equal((await get('md5/wrong.txt')).status, 404);
    assert.equal((await get('md5/malformed.txt')).status, 404);
  });

  it('checks x-amz-checksum-sha256 on UploadPart too', async () => {
    const key = 'checksum/multipart.bin';
    const { UploadId } = await store.client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const part = randomBytes(1024);

    const ok = await store.client.send(
      new UploadPartCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        PartNumber: 1,
        Body: part,
        ChecksumSHA256: sha256(part),
      }),
    );
    assert.equal(ok.$metadata.httpStatusCode, 200);

    await assert.rejects(
      store.client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          PartNumber: 2,
          Body: part,
          ChecksumSHA256: sha256(randomBytes(1024)),
        }),
      ),
      (error: unknown) => error instanceof S3ServiceException && error.name === 'BadDigest',
    );
  });
});
