// The validator's URI encoder and the signers' are written two ways on purpose (built-in
// encoders then escapes, against a table-driven loop): held here to the same output, or the
// same URIError, for every string, so neither can drift alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeObjectKey, uriEncode } from '../../src/endpoint/s3-uri-encoding.js';
import { encodeKeyPath, uriEncode as signerUriEncode } from '../../src/presign/sigv4-encoding.js';

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

describe('s3-uri-encoding', () => {
  for (const [value, encoded] of [
    ['a-z_0.9~', 'a-z_0.9~'],
    ["it's (v2)*!", 'it%27s%20%28v2%29%2A%21'],
    ['a/b?c#d&e=f+g', 'a%2Fb%3Fc%23d%26e%3Df%2Bg'],
    ['100%', '100%25'],
    ['caf\u00e9', 'caf%C3%A9'],
  ] as const) {
    it(`uriEncode(${JSON.stringify(value)})`, () => assert.equal(uriEncode(value), encoded));
  }

  for (const [key, encoded] of [
    ['a b/c', 'a%20b/c'],
    ['a//b/', 'a//b/'],
    ['%2F', '%252F'],
    ["it's (v2)*!.txt", 'it%27s%20%28v2%29%2A%21.txt'],
    ['q?a=1&b=2#f;@:$,+[]', 'q%3Fa%3D1%26b%3D2%23f%3B%40%3A%24%2C%2B%5B%5D'],
  ] as const) {
    it(`encodeObjectKey(${JSON.stringify(key)}) keeps / and encodes the rest once`, () =>
      assert.equal(encodeObjectKey(key), encoded));
  }

  it('refuses a lone surrogate', () => {
    assert.throws(() => uriEncode('a\ud800b'), URIError);
    assert.throws(() => encodeObjectKey('a\udc00b'), URIError);
  });
});
