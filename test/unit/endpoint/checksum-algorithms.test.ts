// The algorithm table against the pinned SDK and independent reference values: every
// ChecksumAlgorithm the SDK names is here, under the SDK's member and header names, and each
// hasher gives the value libxxhash, OpenSSL (via Python's hashlib) or the xxHash spec gives.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChecksumAlgorithm as SdkChecksumAlgorithm } from '@aws-sdk/client-s3';
import { Xxh3_128, Xxh3_64, Xxh64 } from '@aws-sdk/checksums/xxh';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_API_NAMES,
  CHECKSUM_FIELDS,
  CHECKSUM_MEMBERS,
  CHECKSUM_VALUE_MAX_LENGTH,
  checksumHasher,
  checksumHeader,
  checksumOf,
  checksumValuePattern,
  MULTIPART_CHECKSUM_TYPES,
  requestChecksum,
  singleRequestAlgorithm,
} from '../../../src/endpoint/checksum-algorithms.js';
import { AppError } from '../../../src/errors.js';

describe('the checksum algorithm table', () => {
  it("holds exactly the pinned SDK's ChecksumAlgorithm values", () => {
    assert.deepEqual(
      CHECKSUM_ALGORITHMS.map((algorithm) => CHECKSUM_API_NAMES[algorithm]).sort(),
      Object.values(SdkChecksumAlgorithm).sort(),
    );
  });

  it("names each as the SDK does: header x-amz-checksum-<lowercase>, member Checksum<API name>, field the member's camelCase", () => {
    for (const algorithm of CHECKSUM_ALGORITHMS) {
      const apiName = CHECKSUM_API_NAMES[algorithm];
      assert.equal(checksumHeader(algorithm), `x-amz-checksum-${apiName.toLowerCase()}`);
      assert.equal(CHECKSUM_MEMBERS[algorithm], `Checksum${apiName}`);
      assert.equal(CHECKSUM_FIELDS[algorithm], `checksum${apiName[0]}${apiName.slice(1).toLowerCase()}`);
    }
  });

  it('allows FULL_OBJECT for the CRCs only, and every algorithm but MD5 in a single request', () => {
    assert.deepEqual(
      CHECKSUM_ALGORITHMS.filter((algorithm) => MULTIPART_CHECKSUM_TYPES[algorithm].includes('FULL_OBJECT')),
      ['crc32', 'crc32c', 'crc64nvme'],
    );
    assert.ok(CHECKSUM_ALGORITHMS.every((algorithm) => MULTIPART_CHECKSUM_TYPES[algorithm].length > 0));
    assert.deepEqual(
      CHECKSUM_ALGORITHMS.filter((algorithm) => !singleRequestAlgorithm(algorithm)),
      ['md5'],
    );
  });

  it('refuses checksumMd5 on a single request with a 400 naming the field and the reason', () => {
    assert.throws(
      () => requestChecksum({ checksumMd5: 'kAFQmDzST7DWlj99KOF/cg==' }),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'VALIDATION_FAILED' &&
        error.field === 'checksumMd5' &&
        /S3 documents MD5 checksums for the parts of a multipart upload only/.test(error.message),
    );
    assert.deepEqual(requestChecksum({ checksumXxhash3: 'LQaABTjTlMI=' }), {
      algorithm: 'xxhash3',
      value: 'LQaABTjTlMI=',
    });
  });

  it('bounds values by the longest digest, SHA-512: 88 base64 characters', () => {
    assert.equal(CHECKSUM_VALUE_MAX_LENGTH, 88);
  });
});

describe('the new algorithms compute the reference values', () => {
  const abc = Buffer.from('abc');
  it('MD5 and SHA-512 of "abc" (hashlib)', async () => {
    assert.equal(await checksumOf('md5', abc), 'kAFQmDzST7DWlj99KOF/cg==');
    assert.equal(
      await checksumOf('sha512', abc),
      '3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw==',
    );
  });

  it("the XXHashes of no bytes: the xxHash spec's values, big-endian", async () => {
    assert.equal(await checksumOf('xxhash64', Buffer.alloc(0)), '70bbN1HY6Zk='); // EF46DB3751D8E999
    assert.equal(await checksumOf('xxhash3', Buffer.alloc(0)), 'LQaABTjTlMI='); // 2D06800538D394C2
    assert.equal(await checksumOf('xxhash128', Buffer.alloc(0)), 'maoG0wFHmNhgAcMkRo1Jfw=='); // 99AA06D3014798D86001C324468D497F
  });

  it("the XXHashes of 1,000,003 bytes fed in 65,537-byte pieces: libxxhash 0.8.1's values", async () => {
    const data = Buffer.alloc(1_000_003);
    for (let index = 0; index < data.length; index++) data[index] = (index * 7919 + (index >> 8)) & 255;
    const expected = { xxhash64: 'nVeFXECz120=', xxhash3: 'xVFFNznlszg=', xxhash128: 'cpdbKq+Fs/fFUUU3OeWzOA==' };
    for (const [algorithm, value] of Object.entries(expected) as Array<[keyof typeof expected, string]>) {
      const hasher = checksumHasher(algorithm);
      for (let offset = 0; offset < data.length; offset += 65_537)
        hasher.update(data.subarray(offset, offset + 65_537));
      const digest = await hasher.digest();
      assert.equal(digest, value, algorithm);
      assert.match(digest, checksumValuePattern(algorithm));
    }
  });
});

describe("the XXHashes (hash-wasm) agree with the SDK's own classes", () => {
  const SDK = { xxhash64: Xxh64, xxhash3: Xxh3_64, xxhash128: Xxh3_128 } as const;

  it('on random bytes in random pieces, fed before and after the WebAssembly hasher is ready, from a buffer reused at once', async () => {
    let seed = 20261206;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      const data = Buffer.alloc(Math.floor(random() * 300_000));
      for (let index = 0; index < data.length; index++) data[index] = Math.floor(random() * 256);
      for (const [algorithm, Reference] of Object.entries(SDK) as Array<
        [keyof typeof SDK, (typeof SDK)[keyof typeof SDK]]
      >) {
        const reference = new Reference();
        reference.update(data);
        const expected = Buffer.from(await reference.digest()).toString('base64');

        const hasher = checksumHasher(algorithm);
        // One buffer, overwritten after each update, as a file read into a reused buffer would be.
        const scratch = Buffer.alloc(70_000);
        let offset = 0;
        while (offset < data.length) {
          const length = Math.min(data.length - offset, Math.floor(random() * scratch.length) + 1);
          data.copy(scratch, 0, offset, offset + length);
          hasher.update(scratch.subarray(0, length));
          scratch.fill(0xa5);
          offset += length;
          if (random() < 0.3) await nextTurn();
        }
        assert.equal(await hasher.digest(), expected, `${algorithm}, ${data.length} bytes`);
      }
    }
  });
});
