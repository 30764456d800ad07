// The validator's URI encoder and the signers' are written two ways on purpose (built-in
// encoders then escapes, against a table-driven loop): held here to the same output, or the
// same URIError, for every string, so neither can drift alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeObjectKey, uriEncode } from '../../../src/endpoint/s3-uri-encoding.js';
import { encodeKeyPath, uriEncode as signerUriEncode } from '../../../src/presign/sigv4-encoding.js';

function outcome(encode: (value: string) => string, value: string): string {
  try {
    return encode(value);
  } catch (error) {
    return `throws ${(error as Error).name}`;
  }
}

// Every ASCII character, the ones the built-in encoders treat specially more often, and any
// code point, lone surrogates included.
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom(..."!#$&'()*+,/:;=?@[]%~-_. "),
    fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 24,
});

describe('s3-uri-encoding agrees with the signers', () => {
  it('uriEncode', () => {
    fc.assert(
      fc.property(text, (value) => assert.equal(outcome(uriEncode, value), outcome(signerUriEncode, value))),
      { numRuns: 20_000 },
    );
  });

  it('encodeObjectKey', () => {
    fc.assert(
      fc.property(text, (key) => assert.equal(outcome(encodeObjectKey, key), outcome(encodeKeyPath, key))),
      { numRuns: 20_000 },
    );
  });

  it('on every character up to U+07FF, the last of two UTF-8 bytes', () => {
    for (let code = 0; code < 0x800; code++) {
      const character = String.fromCharCode(code);
      assert.equal(uriEncode(`a${character}b`), signerUriEncode(`a${character}b`), `U+${code.toString(16)}`);
      assert.equal(encodeObjectKey(`a${character}b`), encodeKeyPath(`a${character}b`), `U+${code.toString(16)}`);
    }
  });
});

describe('S3 URI encoding, the validator’s and the signers’', () => {
  const ENCODERS = [
    ['the validator', uriEncode, encodeObjectKey],
    ['the signers', signerUriEncode, encodeKeyPath],
  ] as const;

  for (const [encoder, encodeValue, encodeKey] of ENCODERS) {
    for (const [value, encoded] of [
      ['AZaz09-_.~', 'AZaz09-_.~'],
      ["it's (v2)*!", 'it%27s%20%28v2%29%2A%21'],
      [' +%/?#&=', '%20%2B%25%2F%3F%23%26%3D'],
      ['100%', '100%25'],
      ['caf\u00e9', 'caf%C3%A9'],
      ['\ud83d\ude00', '%F0%9F%98%80'],
    ] as const) {
      it(`${encoder}: uriEncode(${JSON.stringify(value)})`, () => assert.equal(encodeValue(value), encoded));
    }

    for (const [key, encoded] of [
      ['a b/c', 'a%20b/c'],
      ['a//b/', 'a//b/'],
      ['%2F', '%252F'],
      ["it's (v2)*!.txt", 'it%27s%20%28v2%29%2A%21.txt'],
      ['q?a=1&b=2#f;@:$,+[]', 'q%3Fa%3D1%26b%3D2%23f%3B%40%3A%24%2C%2B%5B%5D'],
      ['e\u0301/\u00e9', 'e%CC%81/%C3%A9'],
    ] as const) {
      it(`${encoder}: the key ${JSON.stringify(key)} keeps / and encodes the rest once`, () =>
        assert.equal(encodeKey(key), encoded));
    }

    it(`${encoder}: refuses a lone surrogate, as encodeURIComponent does`, () => {
      assert.throws(() => encodeValue('a\ud800b'), URIError);
      assert.throws(() => encodeKey('a\udc00b'), URIError);
    });
  }
});
