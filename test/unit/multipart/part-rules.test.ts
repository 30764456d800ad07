// S3's multipart rules one by one, with the exact code, field and message each refusal
// carries, at every limit and one past it. Sizes are written out in bytes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  checkPartNumber,
  checkPartSize,
  defaultPartSize,
  smallestPartSize,
  partLayout,
  sizeOfPart,
} from '../../../src/multipart/part-rules.js';
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from '../../../src/endpoint/s3-limits.js';

const MiB = 1_048_576;
const FIVE_MIB = 5_242_880;
const FIVE_GIB = 5_368_709_120;
const FIVE_TIB = 5_497_558_138_880;

function refusal(code: string, field: string, message: string) {
  return { name: 'AppError', code, field, message };
}

describe('the limits', () => {
  it('are S3 limits in bytes', () => {
    assert.equal(MIN_PART_BYTES, 5_242_880);
    assert.equal(MAX_PART_BYTES, 5_368_709_120);
    assert.equal(MAX_PARTS, 10_000);
    assert.equal(MAX_OBJECT_BYTES, 5_497_558_138_880);
  });
});

describe('checkPartSize', () => {
  const invalid = refusal('INVALID_PART_SIZE', 'partSize', 'partSize must be 5242880..5368709120 bytes (5 MiB..5 GiB)');

  it('takes 5 MiB and 5 GiB exactly, and sizes between', () => {
    for (const size of [FIVE_MIB, FIVE_MIB + 1, 8 * MiB, FIVE_GIB - 1, FIVE_GIB]) {
      assert.doesNotThrow(() => checkPartSize(size), String(size));
    }
  });

  it('refuses one byte under 5 MiB and one over 5 GiB', () => {
    assert.throws(() => checkPartSize(FIVE_MIB - 1), invalid);
    assert.throws(() => checkPartSize(FIVE_GIB + 1), invalid);
    assert.throws(() => checkPartSize(0), invalid);
  });

  it('refuses a size that is not a whole number of bytes', () => {
    for (const size of [FIVE_MIB + 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      assert.throws(() => checkPartSize(size), invalid, String(size));
    }
  });

  it('refuses with a 400', () => {
    assert.throws(() => checkPartSize(1), { statusCode: 400 });
  });
});

describe('defaultPartSize', () => {
  it('is 8 MiB when the length is small', () => {
    assert.equal(defaultPartSize(0), 8_388_608);
    assert.equal(defaultPartSize(1), 8_388_608);
    assert.equal(defaultPartSize(100 * MiB), 8_388_608);
  });

  it('stays 8 MiB up to exactly 10,000 parts of 8 MiB', () => {
    assert.equal(defaultPartSize(83_886_080_000), 8_388_608);
  });

  it('grows in whole MiB beyond that, so the parts stay within 10,000', () => {
    assert.equal(defaultPartSize(83_886_080_001), 9_437_184);
    // 10,000 parts of 9 MiB exactly, and one byte more.
    assert.equal(defaultPartSize(94_371_840_000), 9_437_184);
    assert.equal(defaultPartSize(94_371_840_001), 10_485_760);
    // 5 TiB: 524.288 MiB per part, rounded up to 525 MiB.
    assert.equal(defaultPartSize(FIVE_TIB), 550_502_400);
  });
});

describe('smallestPartSize', () => {
  it("is Uppy's own split: 5 MiB up to 10,000 parts of that, then the length over 10,000, rounded up", () => {
    assert.equal(smallestPartSize(0), FIVE_MIB);
    assert.equal(smallestPartSize(64 * MiB), FIVE_MIB);
    assert.equal(smallestPartSize(10_000 * FIVE_MIB), FIVE_MIB);
    assert.equal(smallestPartSize(10_000 * FIVE_MIB + 1), FIVE_MIB + 1);
    assert.equal(smallestPartSize(FIVE_TIB), 549_755_814);
    for (const length of [0, 1, 64 * MiB, 10_000 * FIVE_MIB + 1, 123_456_789_012, FIVE_TIB]) {
      assert.ok(partLayout(length, smallestPartSize(length)).partCount <= 10_000, String(length));
    }
  });
});

describe('partLayout', () => {
  it('splits the object into parts of partSize, the last one shorter', () => {
    assert.deepEqual(partLayout(12 * MiB, FIVE_MIB), { contentLength: 12 * MiB, partSize: FIVE_MIB, partCount: 3 });
    assert.deepEqual(partLayout(10 * MiB, FIVE_MIB), { contentLength: 10 * MiB, partSize: FIVE_MIB, partCount: 2 });
    assert.deepEqual(partLayout(10 * MiB + 1, FIVE_MIB), {
      contentLength: 10 * MiB + 1,
      partSize: FIVE_MIB,
      partCount: 3,
    });
    assert.deepEqual(partLayout(1, FIVE_MIB), { contentLength: 1, partSize: FIVE_MIB, partCount: 1 });
  });

  it('makes an empty object one empty part', () => {
    assert.deepEqual(partLayout(0, FIVE_MIB), { contentLength: 0, partSize: FIVE_MIB, partCount: 1 });
  });

  it('takes exactly 5 TiB and refuses a byte more', () => {
    assert.deepEqual(partLayout(FIVE_TIB, 550_502_400), {
      contentLength: FIVE_TIB,
      partSize: 550_502_400,
      partCount: 9987,
    });
    assert.throws(
      () => partLayout(FIVE_TIB + 1, FIVE_GIB),
      refusal('OBJECT_TOO_LARGE', 'contentLength', 'contentLength may be at most 5497558138880 bytes (5 TiB)'),
    );
  });

  it('checks the part size before counting parts', () => {
    assert.throws(
      () => partLayout(12 * MiB, FIVE_MIB - 1),
      refusal('INVALID_PART_SIZE', 'partSize', 'partSize must be 5242880..5368709120 bytes (5 MiB..5 GiB)'),
    );
  });

  it('takes exactly 10,000 parts and refuses 10,001', () => {
    assert.equal(partLayout(52_428_800_000, FIVE_MIB).partCount, 10_000);
    assert.throws(
      () => partLayout(52_428_800_001, FIVE_MIB),
      refusal(
        'TOO_MANY_PARTS',
        'partSize',
        '52428800001 bytes in parts of 5242880 makes 10001 parts; S3 takes at most 10000: choose a larger partSize (at least 5242881)',
      ),
    );
    assert.throws(
      () => partLayout(60_000 * MiB, FIVE_MIB),
      refusal(
        'TOO_MANY_PARTS',
        'partSize',
        '62914560000 bytes in parts of 5242880 makes 12000 parts; S3 takes at most 10000: choose a larger partSize (at least 6291456)',
      ),
    );
  });
});

describe('sizeOfPart', () => {
  it('is partSize for every part but the last, and the rest for the last', () => {
    const layout = { contentLength: 12 * MiB, partSize: FIVE_MIB, partCount: 3 };
    assert.equal(sizeOfPart(layout, 1), FIVE_MIB);
    assert.equal(sizeOfPart(layout, 2), FIVE_MIB);
    assert.equal(sizeOfPart(layout, 3), 2 * MiB);
  });

  it('is the whole object for a one-part upload, and 0 for an empty one', () => {
    assert.equal(sizeOfPart({ contentLength: 7, partSize: FIVE_MIB, partCount: 1 }, 1), 7);
    assert.equal(sizeOfPart({ contentLength: 0, partSize: FIVE_MIB, partCount: 1 }, 1), 0);
  });

  it('gives a full last part when the length divides evenly', () => {
    assert.equal(sizeOfPart({ contentLength: 10 * MiB, partSize: FIVE_MIB, partCount: 2 }, 2), FIVE_MIB);
  });
});

describe('checkPartNumber', () => {
  it('takes 1 to the part count', () => {
    for (const n of [1, 2, 3]) assert.doesNotThrow(() => checkPartNumber(n, 3, 'f'));
  });

  it("refuses 0, one past the count, and fractions, naming the caller's field", () => {
    assert.throws(
      () => checkPartNumber(4, 3, 'parts.2.partNumber'),
      refusal(
        'INVALID_PART_NUMBER',
        'parts.2.partNumber',
        'part number 4 is outside 1..3 (this upload has that many parts)',
      ),
    );
    assert.throws(
      () => checkPartNumber(0, 3, 'partNumbers.0'),
      refusal(
        'INVALID_PART_NUMBER',
        'partNumbers.0',
        'part number 0 is outside 1..3 (this upload has that many parts)',
      ),
    );
    assert.throws(
      () => checkPartNumber(1.5, 3, 'x'),
      refusal('INVALID_PART_NUMBER', 'x', 'part number 1.5 is outside 1..3 (this upload has that many parts)'),
    );
    assert.throws(
      () => checkPartNumber(-1, 3, 'x'),
      refusal('INVALID_PART_NUMBER', 'x', 'part number -1 is outside 1..3 (this upload has that many parts)'),
    );
  });

  it('refuses with a 400', () => {
    assert.throws(() => checkPartNumber(0, 1, 'f'), { statusCode: 400 });
  });
});
