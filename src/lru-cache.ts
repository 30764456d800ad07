// A least-recently-used map with a hard size cap. The allowlist is small, but the CLI and
// /verify see buckets from anyone: a cache keyed by caller input must not grow without end.

export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #capacity: number;
  /** Hot paths ask for the same key again and again: it needs no reordering. */
  #newest: K | undefined;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined || key === this.#newest) return value;
    // A Map iterates in insertion order: re-inserting marks the entry as the newest.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    return value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    this.#newest = key;
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }
}
