import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { LruCache } from '../../src/lru-cache.js';

describe('LruCache', () => {
  it('forgets the least recently used entry beyond its capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1); // a is now the newest
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.equal(cache.size, 2);
  });

  it('re-setting a key refreshes it rather than adding a second entry', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 10);
    cache.set('c', 3);
    assert.equal(cache.get('a'), 10);
    assert.equal(cache.get('b'), undefined);
  });

  it('stays at its capacity under many distinct keys', () => {
    const cache = new LruCache<number, number>(1000);
    for (let i = 0; i < 10_000; i++) cache.set(i, i);
    assert.equal(cache.size, 1000);
    assert.equal(cache.get(8999), undefined);
    assert.equal(cache.get(9000), 9000);
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new LruCache(0), RangeError);
  });
});
