import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import fc from 'fast-check';

import { isoTimeMemo } from '../../src/iso-time.js';

const MAX_TIME = 8.64e15; // the largest time a Date holds, either side of 1970

describe('isoTimeMemo', () => {
  afterEach(() => mock.restoreAll());

  it('writes what toISOString writes, at the edges of seconds, years and the range a Date holds', () => {
    const isoTime = isoTimeMemo();
    for (const epochMs of [
      0,
      1,
      9,
      10,
      99,
      100,
      999,
      1000,
      1001,
      -1,
      -999,
      -1000,
      -1001,
      1_765_000_000_000,
      1_765_000_000_999,
      253_402_300_799_999,
      253_402_300_800_000,
      -62_167_219_200_000,
      -62_167_219_200_001,
      MAX_TIME,
      -MAX_TIME,
      MAX_TIME - 1,
      -MAX_TIME + 1,
    ]) {
      assert.equal(isoTime(epochMs), new Date(epochMs).toISOString(), String(epochMs));
    }
  });

  it('writes what toISOString writes for any time, in any order, the same second again or not', () => {
    const isoTime = isoTimeMemo();
    const time = fc.oneof(
      fc.integer({ min: -MAX_TIME, max: MAX_TIME }),
      fc.integer({ min: 1_700_000_000_000, max: 1_700_000_003_000 }),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 8 }), (times) => {
        for (const epochMs of times) assert.equal(isoTime(epochMs), new Date(epochMs).toISOString());
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what toISOString refuses: no text for a time a Date cannot hold', () => {
    const isoTime = isoTimeMemo();
    for (const epochMs of [Number.NaN, MAX_TIME + 1, -MAX_TIME - 1, Infinity, -Infinity]) {
      assert.throws(() => isoTime(epochMs), RangeError, String(epochMs));
    }
  });

  it('asks toISOString once per second, not once per time', () => {
    const toISOString = mock.method(Date.prototype, 'toISOString');
    const isoTime = isoTimeMemo();
    isoTime(1_765_000_000_000);
    isoTime(1_765_000_000_001);
    isoTime(1_765_000_000_999);
    assert.equal(toISOString.mock.callCount(), 1);
    isoTime(1_765_000_001_000);
    assert.equal(toISOString.mock.callCount(), 2);
    // Its own second: another memo's does not count.
    isoTimeMemo()(1_765_000_001_000);
    assert.equal(toISOString.mock.callCount(), 3);
    isoTime(1_765_000_001_500);
    assert.equal(toISOString.mock.callCount(), 3);
  });
});
