// Fixed-window counters, in this process or in Redis, with one semantics: the first charge in
// a window starts it (the key lives `windowMs`), and a charge is either unconditional (a
// request: counted even when refused, like @fastify/rate-limit's own stores) or all or nothing
// (a batch of URLs: added only when the whole of it fits under the limit).
import type { Redis } from 'ioredis';

export interface CountResult {
  /** The window's count after this charge (before it, when the charge was refused). */
  current: number;
  /** Milliseconds until the window resets. */
  ttlMs: number;
  /** False when an all-or-nothing charge did not fit and nothing was added. */
  charged: boolean;
}

export interface ChargeRequest {
  key: string;
  cost: number;
  windowMs: number;
  /** Given: add nothing unless current + cost <= this (all or nothing). */
  fitWithin?: number;
}

export interface Counters {
  charge(request: ChargeRequest): CountResult | Promise<CountResult>;
}

/** A table of windows is full: every slot holds a window that has not ended. */
export class CountersFullError extends Error {
  override name = 'CountersFullError';
  constructor(
    readonly capacity: number,
    /** Until the oldest window ends and frees its slot. */
    readonly retryAfterMs: number,
  ) {
    super(`all ${capacity} windows are in use`);
  }
}

/**
 * This process's counters, in a table of at most `capacity` live windows. A window leaves the
 * table only once it has ended, never to make room for another key: a flood of new keys can
 * neither grow the heap past the bound nor reset anyone's window (an LRU would evict the
 * quietest key, a caller at its limit among them, and its next request would start afresh).
 * When every slot holds a live window, a new key is refused with CountersFullError until the
 * oldest ends.
 *
 * One window length per table: the map's insertion order is then the order in which windows
 * end, so ended ones are swept from its front, each once.
 */
export class MemoryCounters implements Counters {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  readonly #capacity: number;
  readonly #now: () => number;

  constructor(capacity: number, now: () => number = Date.now) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
    this.#now = now;
  }

  /** Windows held, ended ones not yet swept included. */
  get size(): number {
    return this.#windows.size;
  }

  charge({ key, cost, windowMs, fitWithin }: ChargeRequest): CountResult {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window !== undefined && window.resetAt <= now) {
      // Ended: its key starts a new window, at the back of the order.
      this.#windows.delete(key);
      window = undefined;
    }
    if (window === undefined) {
      this.#sweep(now);
      if (this.#windows.size >= this.#capacity) {
        const oldest = this.#windows.values().next().value as { resetAt: number };
        throw new CountersFullError(this.#capacity, oldest.resetAt - now);
      }
      window = { count: 0, resetAt: now + windowMs };
      this.#windows.set(key, window);
    }
    const ttlMs = window.resetAt - now;
    if (fitWithin !== undefined && window.count + cost > fitWithin) {
      return { current: window.count, ttlMs, charged: false };
    }
    window.count += cost;
    return { current: window.count, ttlMs, charged: true };
  }

  /** Drops the windows that have ended, oldest first, up to the first that has not. */
  #sweep(now: number): void {
    for (const [key, window] of this.#windows) {
      if (window.resetAt > now) return;
      this.#windows.delete(key);
    }
  }
}

// One script for both kinds of charge: the read, the check and the increment are one atomic
// step in Redis, so replicas racing for the last of a budget can never overspend it.
// ARGV: cost, window in ms, limit (-1: unconditional).
const CHARGE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local pttl = redis.call('PTTL', KEYS[1])
local cost = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local ttl = pttl
if ttl < 0 then ttl = window end
if limit >= 0 and current + cost > limit then
  return {current, ttl, 0}
end
current = redis.call('INCRBY', KEYS[1], cost)
if pttl < 0 then redis.call('PEXPIRE', KEYS[1], window) end
return {current, ttl, 1}
`;

type ChargeCommand = (key: string, cost: number, windowMs: number, limit: number) => Promise<[number, number, number]>;

/** Counters in Redis, shared by every replica that names the same Redis and key prefix. */
export class RedisCounters implements Counters {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
    // defineCommand: EVALSHA with a fallback to EVAL when the server does not have the script
    // yet (a restarted Redis has forgotten it).
    redis.defineCommand('s3presignCharge', { numberOfKeys: 1, lua: CHARGE_SCRIPT });
  }

  async charge({ key, cost, windowMs, fitWithin }: ChargeRequest): Promise<CountResult> {
    const command = (this.#redis as unknown as { s3presignCharge: ChargeCommand }).s3presignCharge;
    const [current, ttlMs, charged] = await command.call(
      this.#redis,
      this.#prefix + key,
      cost,
      windowMs,
      fitWithin ?? -1,
    );
    return { current, ttlMs, charged: charged === 1 };
  }
}
