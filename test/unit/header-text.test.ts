// One rule for text bound for a header or a URL: object keys, Content-Disposition and quoted
// media-type parameters refuse exactly the same characters (C0, DEL, C1 with NEL U+0085,
// U+2028, U+2029), so no field accepts what another refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { escapeControlCharacters, jsonForDisplay } from '../../src/control-characters.js';
import { objectKeyProblem } from '../../src/endpoint/object-key.js';
import { presignRequestSchema } from '../../src/presign/schemas.js';

const disposition = presignRequestSchema.shape.responseContentDisposition;
const contentType = presignRequestSchema.shape.contentType;

const keyAccepts = (character: string) => objectKeyProblem(`a${character}b`) === undefined;
const dispositionAccepts = (character: string) =>
  disposition.safeParse(`attachment; filename="a${character}b"`).success;
const quotedParameterAccepts = (character: string) =>
  contentType.safeParse(`text/plain; name="a${character}b"`).success;

describe('header-bound text: one rule', () => {
  for (const [name, character] of [
    ['NEL (U+0085)', '\u0085'],
    ['LINE SEPARATOR (U+2028)', '\u2028'],
    ['PARAGRAPH SEPARATOR (U+2029)', '\u2029'],
    ['a C1 control (U+009B, CSI)', '\u009b'],
    ['DEL', '\u007f'],
    ['a line feed', '\n'],
  ] as const) {
    it(`${name} is refused in keys, Content-Disposition and quoted media-type parameters`, () => {
      assert.equal(keyAccepts(character), false, 'key');
      assert.equal(dispositionAccepts(character), false, 'responseContentDisposition');
      assert.equal(quotedParameterAccepts(character), false, 'contentType');
    });
  }

  it('every character of the Basic Multilingual Plane gets the same answer from all three', () => {
    for (let code = 0; code <= 0xffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue; // a lone surrogate is no character
      const character = String.fromCharCode(code);
      const key = keyAccepts(character);
      assert.equal(dispositionAccepts(character), key, `U+${code.toString(16)} disposition vs key`);
      // A quoted string cannot hold its own quote or a bare backslash: that is quoting, not this rule.
      if (character !== '"' && character !== '\\') {
        assert.equal(quotedParameterAccepts(character), key, `U+${code.toString(16)} content type vs key`);
      }
    }
  });

  it('ordinary values still pass', () => {
    assert.equal(dispositionAccepts('é'), true);
    assert.ok(contentType.safeParse('text/plain; charset="utf-8"').success);
    assert.ok(contentType.safeParse('image/png').success);
  });
});

describe('escapeControlCharacters and jsonForDisplay', () => {
  it('show every header-forbidden and bidi character as an escape, and nothing else', () => {
    assert.equal(
      escapeControlCharacters('a\u001b[2J\u0085\u2028\u202e\u2066é'),
      'a\\u001b[2J\\u0085\\u2028\\u202e\\u2066é',
    );
  });

  it('keep JSON valid for the same value', () => {
    const value = { key: 'a\u001b\u0085\u2028\u202e\n"b' };
    const text = jsonForDisplay(value);
    assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u);
    assert.deepEqual(JSON.parse(text), value);
  });
});
