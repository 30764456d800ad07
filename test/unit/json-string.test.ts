import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import { jsonString } from '../../src/json-string.js';

describe('jsonString', () => {
  it('writes what JSON.stringify writes, for the characters it escapes and those it does not', () => {
    for (const text of [
      '',
      'uploads/photo 1 (original).jpg',
      'say "hi"',
      'C:\\temp',
      '\u0000',
      '\u001f',
      '\u0020',
      '\u007f',
      '\u2028\u2029',
      '\ud800',
      'a\udfffb',
      '\ud83d\ude00',
      'ünïcödé',
    ]) {
      assert.equal(jsonString(text), JSON.stringify(text), JSON.stringify(text));
    }
  });

  it('writes what JSON.stringify writes for any UTF-16 text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.string({ unit: 'binary', maxLength: 30 }),
          fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 30 }),
        ),
        (text) => assert.equal(jsonString(text), JSON.stringify(text)),
      ),
      { numRuns: 3000 },
    );
  });
});
