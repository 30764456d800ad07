// The embedded S3 server behaves as S3 does with flexible checksums
// (patches/@20minutes+s3rver+4.0.4.patch, lib/checksums.js): every x-amz-checksum-* value a
// PUT, a form or a part carries is compared with the bytes (BadDigest, nothing stored); the
// object keeps it and returns it on GET/HEAD only with x-amz-checksum-mode: ENABLED; a
// multipart upload created with an algorithm needs it on every part, and completion computes
// the full-object (over the bytes) or composite (`<base64>-N`) value and checks a stated one.
// Unpatched, s3rver 4.0.4 checked none of it and returned no checksum.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';

import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';

import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_MEMBERS,
  checksumOf,
  type ChecksumAlgorithm,
} from '../../src/endpoint/checksum-algorithms.js';
import { embeddedS3ForSuite, s3RefusalOf, uploadChecksummedParts } from '../embedded-store.js';

const BUCKET = 'flexible-checksums';
const PART_BYTES = 5 * 1024 * 1024;

/** The SDK member of each algorithm's value: ChecksumCRC32 and so on. */
const MEMBER = CHECKSUM_MEMBERS;

describe('embedded S3 verifies and returns flexible checksums', () => {
  const store = embeddedS3ForSuite({ buckets: [BUCKET] });

  const exists = async (key: string) =>
    store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })).then(
      () => true,
      (error: unknown) =>
        error instanceof S3ServiceException && error.name === 'NotFound' ? false : Promise.reject(error),
    );

  for (const algorithm of CHECKSUM_ALGORITHMS) {
    it(`${algorithm}: stores matching bytes, returns the value only in checksum mode, refuses other bytes with BadDigest`, async () => {
      const body = randomBytes(3000);
      const value = await checksumOf(algorithm, body);
      const key = `single/${algorithm}`;
      await store.client.send(
        new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, [MEMBER[algorithm]]: value }),
      );

      const plain = await store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      assert.equal(plain[MEMBER[algorithm]], undefined, 'returned without checksum mode');
      const head = await store.client.send(
        new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }),
      );
      assert.equal(head[MEMBER[algorithm]], value);
      assert.equal(head.ChecksumType, 'FULL_OBJECT');
      const got = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
      assert.equal(got[MEMBER[algorithm]], value);
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);

      const other = Buffer.from(body);
      other[10] = (other[10] ?? 0) ^ 1;
      const refused = await s3RefusalOf(
        store.client.send(
          new PutObjectCommand({ Bucket: BUCKET, Key: `${key}-other`, Body: other, [MEMBER[algorithm]]: value }),
        ),
      );
      assert.deepEqual(refused, {
        code: 'BadDigest',
        message: `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`,
        status: 400,
      });
      assert.equal(await exists(`${key}-other`), false);
    });
  }

  it('refuses two checksums at once, and a value of the wrong size', async () => {
    const body = Buffer.from('two checksums');
    const two = await s3RefusalOf(
      store.client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'single/two',
          Body: body,
          ChecksumCRC32: await checksumOf('crc32', body),
          ChecksumSHA1: await checksumOf('sha1', body),
        }),
      ),
    );
    assert.equal(two.code, 'InvalidRequest');
    assert.match(two.message, /Multiple checksum Types are not allowed/);
    const wrongSize = await s3RefusalOf(
      store.client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'single/size',
          Body: body,
          ChecksumCRC64NVME: await checksumOf('crc32', body),
        }),
      ),
    );
    assert.deepEqual(wrongSize, {
      code: 'InvalidRequest',
      message: 'Value for x-amz-checksum-crc64nvme header is invalid.',
      status: 400,
    });
    assert.equal(await exists('single/two'), false);
    assert.equal(await exists('single/size'), false);
  });

  const uploadParts = (key: string, algorithm: ChecksumAlgorithm, type: 'FULL_OBJECT' | 'COMPOSITE', parts: Buffer[]) =>
    uploadChecksummedParts(store.client, { bucket: BUCKET, key }, { algorithm, type }, parts);

  /** Completes the upload with every part's value; S3's answer and a HEAD in checksum mode. */
  async function completeAndHead(key: string, uploadId: string, uploaded: CompletedPart[]) {
    const completed = await store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    const head = await store.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    return { completed, head };
  }

  it("multipart, full-object CRC64NVME: completion computes the whole object's value, checks a stated one, GET returns it", async () => {
    const parts = [randomBytes(PART_BYTES), randomBytes(1234)];
    const whole = Buffer.concat(parts);
    const key = 'multipart/full-object';
    const { uploadId, uploaded } = await uploadParts(key, 'crc64nvme', 'FULL_OBJECT', parts);

    const listed = await store.client.send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: uploadId }));
    assert.deepEqual(
      listed.Parts?.map((part) => part.ChecksumCRC64NVME),
      uploaded.map((part) => part.ChecksumCRC64NVME),
    );

    const wrong = await s3RefusalOf(
      store.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          ChecksumType: 'FULL_OBJECT',
          ChecksumCRC64NVME: await checksumOf('crc64nvme', parts[0]!),
          MultipartUpload: { Parts: uploaded },
        }),
      ),
    );
    assert.equal(wrong.code, 'BadDigest');
    assert.equal(await exists(key), false);

    const expected = await checksumOf('crc64nvme', whole);
    const completed = await store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        ChecksumType: 'FULL_OBJECT',
        ChecksumCRC64NVME: expected,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    assert.equal(completed.ChecksumCRC64NVME, expected);
    assert.equal(completed.ChecksumType, 'FULL_OBJECT');
    // The SDK validates a CRC64NVME it is answered with against the bytes it reads.
    const got = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    assert.equal(got.ChecksumCRC64NVME, expected);
    assert.equal(got.ChecksumType, 'FULL_OBJECT');
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(whole));
  });

  it("multipart, composite SHA-256: the checksum of the parts' digests with -N, every part named at completion", async () => {
    const parts = [randomBytes(PART_BYTES), randomBytes(PART_BYTES), randomBytes(10)];
    const key = 'multipart/composite';
    const { uploadId, uploaded } = await uploadParts(key, 'sha256', 'COMPOSITE', parts);

    const missing = await s3RefusalOf(
      store.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: uploaded.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) },
        }),
      ),
    );
    assert.equal(missing.code, 'InvalidRequest');
    assert.match(missing.message, /must include the checksum for each part. It was missing for part 1/);

    const otherValue = await s3RefusalOf(
      store.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: {
            Parts: uploaded.map((part, index) =>
              index === 1 ? { ...part, ChecksumSHA256: uploaded[0]!.ChecksumSHA256 } : part,
            ),
          },
        }),
      ),
    );
    assert.equal(otherValue.code, 'InvalidPart');

    const digests = createHash('sha256');
    for (const part of parts) digests.update(createHash('sha256').update(part).digest());
    const expected = `${digests.digest('base64')}-3`;
    const { completed, head } = await completeAndHead(key, uploadId, uploaded);
    assert.equal(completed.ChecksumSHA256, expected);
    assert.equal(completed.ChecksumType, 'COMPOSITE');
    assert.equal(head.ChecksumSHA256, expected);
    assert.equal(head.ChecksumType, 'COMPOSITE');
  });

  it('GET with partNumber answers the part as S3 does: its bytes and range, the parts count, its checksum in checksum mode', async () => {
    const parts = [randomBytes(PART_BYTES), randomBytes(PART_BYTES + 7), randomBytes(10)];
    const key = 'multipart/by-part';
    const { uploadId, uploaded } = await uploadParts(key, 'crc32c', 'COMPOSITE', parts);
    await store.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    let start = 0;
    for (const [index, part] of parts.entries()) {
      const answer = await store.client.send(
        new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: index + 1, ChecksumMode: 'ENABLED' }),
      );
      const body = Buffer.from(await answer.Body!.transformToByteArray());
      assert.ok(body.equals(part), `part ${index + 1}'s bytes`);
      assert.equal(answer.$metadata.httpStatusCode, 206);
      assert.equal(answer.ContentRange, `bytes ${start}-${start + part.length - 1}/${total}`);
      assert.equal(answer.PartsCount, 3);
      assert.equal(answer.ChecksumCRC32C, await checksumOf('crc32c', part));
      start += part.length;
    }
    const withoutMode = await store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 2 }));
    await withoutMode.Body!.transformToByteArray();
    assert.equal(withoutMode.ChecksumCRC32C, undefined);
    assert.equal(withoutMode.PartsCount, 3);

    const beyond = await s3RefusalOf(
      store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 4 })),
    );
    assert.deepEqual([beyond.code, beyond.status], ['InvalidPartNumber', 416]);
    const ranged = await s3RefusalOf(
      store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 1, Range: 'bytes=0-9' })),
    );
    assert.deepEqual([ranged.code, ranged.status], ['InvalidRequest', 400]);

    // Written whole (here over the multipart object): part 1 is the whole object, with its checksum.
    const whole = randomBytes(2000);
    const value = await checksumOf('sha256', whole);
    await store.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: whole, ChecksumSHA256: value }));
    const first = await store.client.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 1, ChecksumMode: 'ENABLED' }),
    );
    assert.ok(Buffer.from(await first.Body!.transformToByteArray()).equals(whole));
    assert.equal(first.PartsCount, undefined);
    assert.equal(first.ContentRange, `bytes 0-1999/2000`);
    assert.equal(first.ChecksumSHA256, value);
    const second = await s3RefusalOf(
      store.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key, PartNumber: 2 })),
    );
    assert.equal(second.code, 'InvalidPartNumber');
  });

  for (const algorithm of ['md5', 'sha512', 'xxhash64', 'xxhash3', 'xxhash128'] as const) {
    it(`multipart, composite ${algorithm}: a part with other bytes is BadDigest; completion keeps the checksum of the parts' digests with -N`, async () => {
      const parts = [randomBytes(PART_BYTES), randomBytes(77)];
      const key = `multipart/composite-${algorithm}`;
      const { uploadId, uploaded } = await uploadParts(key, algorithm, 'COMPOSITE', parts);
      const other = Buffer.from(parts[1]!);
      other[0] = (other[0] ?? 0) ^ 1;
      const refused = await s3RefusalOf(
        store.client.send(
          new UploadPartCommand({
            Bucket: BUCKET,
            Key: key,
            UploadId: uploadId,
            PartNumber: 2,
            Body: other,
            [MEMBER[algorithm]]: uploaded[1]![MEMBER[algorithm]],
          }),
        ),
      );
      assert.equal(refused.code, 'BadDigest');

      const digests = await Promise.all(
        parts.map(async (part) => Buffer.from(await checksumOf(algorithm, part), 'base64')),
      );
      const expected = `${await checksumOf(algorithm, Buffer.concat(digests))}-2`;
      const { completed, head } = await completeAndHead(key, uploadId, uploaded);
      assert.equal(completed[MEMBER[algorithm]], expected);
      assert.equal(completed.ChecksumType, 'COMPOSITE');
      assert.equal(head[MEMBER[algorithm]], expected);
      assert.equal(head.ContentLength, PART_BYTES + 77);
    });
  }

  it("multipart: a part with other bytes is BadDigest, a part without the upload's algorithm is refused", async () => {
    const key = 'multipart/refused-parts';
    const created = await store.client.send(
      new CreateMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        ChecksumAlgorithm: 'CRC32C',
        ChecksumType: 'FULL_OBJECT',
      }),
    );
    const part = randomBytes(2048);
    const other = Buffer.from(part);
    other[0] = (other[0] ?? 0) ^ 0x80;
    const send = (body: Buffer, checksum: Partial<Record<(typeof MEMBER)[ChecksumAlgorithm], string>>) =>
      store.client.send(
        new UploadPartCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId: created.UploadId,
          PartNumber: 1,
          Body: body,
          ...checksum,
        }),
      );
    assert.equal(
      (await s3RefusalOf(send(other, { ChecksumCRC32C: await checksumOf('crc32c', part) }))).code,
      'BadDigest',
    );
    const none = await s3RefusalOf(send(part, {}));
    assert.equal(none.code, 'InvalidRequest');
    assert.match(none.message, /expected checksum Type: crc32c, actual checksum Type: null/);
    const another = await s3RefusalOf(send(part, { ChecksumCRC32: await checksumOf('crc32', part) }));
    assert.match(another.message, /expected checksum Type: crc32c, actual checksum Type: crc32/);
    const listed = await store.client.send(
      new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId: created.UploadId }),
    );
    assert.equal(listed.Parts, undefined, 'a refused part was stored');
  });

  it('CreateMultipartUpload refuses the combinations S3 refuses', async () => {
    for (const [algorithm, type] of [
      ['CRC64NVME', 'COMPOSITE'],
      ['SHA256', 'FULL_OBJECT'],
      ['SHA1', 'FULL_OBJECT'],
      ['MD5', 'FULL_OBJECT'],
      ['SHA512', 'FULL_OBJECT'],
      ['XXHASH64', 'FULL_OBJECT'],
      ['XXHASH3', 'FULL_OBJECT'],
      ['XXHASH128', 'FULL_OBJECT'],
    ] as const) {
      const refused = await s3RefusalOf(
        store.client.send(
          new CreateMultipartUploadCommand({
            Bucket: BUCKET,
            Key: 'multipart/never',
            ChecksumAlgorithm: algorithm,
            ChecksumType: type,
          }),
        ),
      );
      assert.equal(refused.code, 'InvalidRequest', `${algorithm} ${type}`);
      assert.match(
        refused.message,
        new RegExp(`The ${type} checksum type cannot be used with the ${algorithm.toLowerCase()}`),
      );
    }
  });
});
