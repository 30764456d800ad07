// Fixed-window counters, in this process or in Redis, with one semantics: the first charge in
// a window starts it (the key lives `windowMs`), and a charge is either unconditional (a
// request: counted even when refused, like @fastify/rate-limit's own stores) or all or nothing
// (a batch of URLs: added only when the whole of it fits under the limit).
import type { Redis } from 'ioredis';
import { LruCache } from '../lru-cache.js';

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

/**
 * This process's counters. Bounded: a caller key holds ~100 bytes and callers are few (API
 * keys) or bounded by the IdP's subjects, but an LRU keeps a flood of subjects from growing
 * the heap. An evicted key starts a fresh window, in the caller's favour, as with
 * @fastify/rate-limit's LocalStore (same bound of 5,000 by default).
 */
export class MemoryCounters implements Counters {
  readonly #windows: LruCache<string, { count: number; resetAt: number }>;
  readonly #now: () => number;

  constructor(capacity = 5000, now: () => number = Date.now) {
    this.#windows = new LruCache(capacity);
    this.#now = now;
  }

  charge({ key, cost, windowMs, fitWithin }: ChargeRequest): CountResult {
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window === undefined || window.resetAt <= now) {
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
