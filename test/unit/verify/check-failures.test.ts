// A report's messages are bounded: at most 200 characters, cut with an ellipsis, never
// through a surrogate pair, and one failure per code, counted.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedMessage, failureCollector } from '../../../src/verify/check-failures.js';

describe('boundedMessage', () => {
  it('keeps up to 200 characters and cuts a longer message to 199 and an ellipsis', () => {
    assert.equal(boundedMessage('a'.repeat(200)), 'a'.repeat(200));
    assert.equal(boundedMessage('a'.repeat(201)), `${'a'.repeat(199)}…`);
    assert.equal(boundedMessage('a'.repeat(5000)).length, 200);
  });

  it('never ends on the first half of a surrogate pair', () => {
    // A pair at 198–199: the cut at 199 would split it, so the pair goes whole.
    for (const pair of ['\ud800\udc00', '\ud83d\ude00', '\udbff\udfff'])
      assert.equal(boundedMessage(`${'a'.repeat(198)}${pair}b`), `${'a'.repeat(198)}…`, JSON.stringify(pair));
    // A pair at 197–198 ends before the cut and stays.
    assert.equal(boundedMessage(`${'a'.repeat(197)}\ud83d\ude00bc`), `${'a'.repeat(197)}\ud83d\ude00…`);
    // A character just outside the high-surrogate range is not one.
    assert.equal(boundedMessage(`${'a'.repeat(198)}\ud7ffbc`), `${'a'.repeat(198)}\ud7ff…`);
    assert.equal(boundedMessage(`${'a'.repeat(198)}\udc00bc`), `${'a'.repeat(198)}\udc00…`);
  });

  it('makes control characters visible before measuring', () => {
    assert.equal(boundedMessage('a\u0007b'), 'a\\u0007b');
  });
});

describe('failureCollector', () => {
  it('keeps the first message of each code and counts the rest', () => {
    const { failures, fail } = failureCollector();
    fail('URL_HOST', 'first');
    fail('URL_PATH', 'path');
    fail('URL_HOST', 'second');
    assert.deepEqual(failures, [
      { code: 'URL_HOST', message: 'first', count: 2 },
      { code: 'URL_PATH', message: 'path', count: 1 },
    ]);
  });
});
