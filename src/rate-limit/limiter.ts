// Where rate limits count, on two sides kept apart. Callers' budgets (a configured, bounded
// set: API keys, and the end users of JWT clients) count in this process's memory, or with
// RATE_LIMIT_REDIS_URL in a Redis shared by every replica; no request waits on Redis longer
// than RATE_LIMIT_REDIS_TIMEOUT_MS, past it (or with Redis gone) RATE_LIMIT_REDIS_FAILURE
// decides, and the next healthy answer puts Redis back in charge on its own. Anonymous windows
// (/verify's per client address, keyed by anyone who can send a packet) always count in this
// process, in a table of their own: no amount of anonymous traffic can evict or reset a
// caller's budget, here or (by filling it) in Redis. Each side is a bounded table; when the
// anonymous one is full, new addresses are refused until a window ends (fail closed).
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { Redis, type RedisOptions } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type { RedisSettings } from '../config/config.js';
import { redisTarget } from '../config/config.js';
import { AppError } from '../errors.js';
import type { ServiceMetrics } from '../http/metrics.js';
import { WINDOW_CAPACITY, type LimitSide } from './limit-sides.js';
import { CountersFullError, MemoryCounters, RedisCounters, type ChargeRequest, type CountResult } from './counters.js';

export interface RateLimiterOptions {
  redis: RedisSettings | undefined;
  /** From RATE_LIMIT_REDIS_PASSWORD_FILE, read by server.ts. */
  redisPassword?: string;
  metrics: ServiceMetrics;
  log: FastifyBaseLogger;
  /** Tests only: smaller tables than WINDOW_CAPACITY. */
  capacity?: Partial<Record<LimitSide, number>>;
}

export interface StoreCheck {
  ok: boolean;
  durationMs: number;
  message: string;
  code?: string;
  details: Record<string, unknown>;
}

/** After a timeout, requests skip Redis for this long: a hung Redis costs one wait per second, not one per request. */
const SKIP_AFTER_TIMEOUT_MS = 1000;

class RedisTimeoutError extends Error {
  override name = 'RedisTimeoutError';
}

export class RateLimiter {
  readonly #memory: Record<LimitSide, MemoryCounters>;
  /** Which side's table was last seen full, so a flood is one warning, not one per request. */
  readonly #full = new Set<LimitSide>();
  readonly #redis: Redis | undefined;
  readonly #shared: RedisCounters | undefined;
  readonly #settings: RedisSettings | undefined;
  readonly #metrics: ServiceMetrics;
  readonly #log: FastifyBaseLogger;
  readonly #target: string | undefined;
  #skipRedisUntil = 0;
  /** What was last logged, so an outage is one warning and one recovery line, not one per request. */
  #degraded = false;
  #lastError: string | undefined;

  constructor(options: RateLimiterOptions) {
    this.#settings = options.redis;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#memory = {
      callers: new MemoryCounters(options.capacity?.callers ?? WINDOW_CAPACITY.callers),
      anonymous: new MemoryCounters(options.capacity?.anonymous ?? WINDOW_CAPACITY.anonymous),
    };
    if (options.redis === undefined) return;
    this.#target = redisTarget(options.redis.url);
    this.#redis = new Redis(connectionOptions(options.redis, options.redisPassword));
    this.#shared = new RedisCounters(this.#redis, options.redis.keyPrefix);
    this.#metrics.rateLimitRedisUp.set(0);
    // Without a listener an 'error' event would crash the process; reconnecting is ioredis's job.
    this.#redis.on('error', (error: Error) => this.#failed('error', error));
    this.#redis.on('ready', () => this.#recovered());
    this.#redis.on('close', () => this.#metrics.rateLimitRedisUp.set(0));
  }

  /** Where the counters live, for logs and /healthz. */
  get store(): 'memory' | 'redis' {
    return this.#redis ? 'redis' : 'memory';
  }

  /**
   * Adds `cost` to a caller's window. Synchronous in memory (the hot path of a single replica
   * pays no promise); with Redis, bounded by the timeout, then the failure policy.
   */
  charge(request: ChargeRequest): CountResult | Promise<CountResult> {
    if (this.#shared === undefined || this.#redis === undefined) return this.#countInMemory('callers', request);
    if (this.#redis.status !== 'ready' || Date.now() < this.#skipRedisUntil) {
      return this.#withoutRedis(request);
    }
    return this.#chargeShared(request);
  }

  async #chargeShared(request: ChargeRequest): Promise<CountResult> {
    const shared = this.#shared as RedisCounters;
    const timeoutMs = (this.#settings as RedisSettings).timeoutMs;
    const started = performance.now();
    try {
      const result = await withinBound(shared.charge(request), timeoutMs);
      this.#metrics.rateLimitRedisDuration.observe({ outcome: 'ok' }, (performance.now() - started) / 1000);
      if (this.#degraded) this.#recovered();
      return result;
    } catch (error) {
      const timedOut = error instanceof RedisTimeoutError;
      this.#metrics.rateLimitRedisDuration.observe(
        { outcome: timedOut ? 'timeout' : 'error' },
        (performance.now() - started) / 1000,
      );
      if (timedOut) this.#skipRedisUntil = Date.now() + SKIP_AFTER_TIMEOUT_MS;
      this.#failed(timedOut ? 'timeout' : 'error', error as Error);
      return this.#withoutRedis(request);
    }
  }

  #withoutRedis(request: ChargeRequest): CountResult {
    const policy = (this.#settings as RedisSettings).failure;
    this.#metrics.rateLimitDegraded.inc({ policy });
    if (!this.#degraded) this.#failed('unavailable', new Error(this.#lastError ?? `Redis is ${this.#redis?.status}`));
    switch (policy) {
      case 'local':
        return this.#countInMemory('callers', request);
      case 'open':
        return { current: 0, ttlMs: request.windowMs, charged: true };
      case 'closed':
        throw new AppError(
          'RATE_LIMIT_UNAVAILABLE',
          'the rate limit store is unavailable and this service refuses requests it cannot count; retry shortly',
        );
    }
  }

  /** Adds `cost` to an anonymous client's window: always in this process, never in Redis. */
  chargeAnonymous(request: ChargeRequest): CountResult {
    return this.#countInMemory('anonymous', request);
  }

  #countInMemory(side: LimitSide, request: ChargeRequest): CountResult {
    try {
      const result = this.#memory[side].charge(request);
      this.#full.delete(side);
      return result;
    } catch (error) {
      if (!(error instanceof CountersFullError)) throw error;
      throw this.#tableFull(side, error);
    }
  }

  #tableFull(side: LimitSide, full: CountersFullError): AppError {
    const retryAfterSeconds = Math.max(1, Math.ceil(full.retryAfterMs / 1000));
    this.#metrics.rateLimitTableFull.inc({ side });
    if (!this.#full.has(side)) {
      this.#full.add(side);
      this.#log.warn(
        { side, capacity: full.capacity, retryAfterSeconds },
        side === 'anonymous'
          ? 'rate limit table for client addresses is full: new addresses are refused until a window ends'
          : 'rate limit table for callers is full: new callers are refused until a window ends (RATE_LIMIT_REDIS_URL holds any number)',
      );
    }
    return side === 'anonymous'
      ? new AppError(
          'RATE_LIMITED',
          `too many client addresses are being counted (${full.capacity}); retry in ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        )
      : new AppError(
          'RATE_LIMIT_UNAVAILABLE',
          `this replica counts at most ${full.capacity} callers' budgets at once and cannot count yours; retry in ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        );
  }

  #failed(reason: 'timeout' | 'error' | 'unavailable', error: Error): void {
    if (reason !== 'unavailable') this.#metrics.rateLimitRedisErrors.inc({ reason });
    this.#lastError = error.message;
    if (this.#redis?.status !== 'ready') this.#metrics.rateLimitRedisUp.set(0);
    if (this.#degraded) return;
    this.#degraded = true;
    this.#log.warn(
      { redis: this.#target, reason, error: error.message, policy: this.#settings?.failure },
      `rate limit store unavailable: ${describePolicy(this.#settings?.failure)} until Redis answers again`,
    );
  }

  #recovered(): void {
    this.#metrics.rateLimitRedisUp.set(1);
    this.#skipRedisUntil = 0;
    if (!this.#degraded) return;
    this.#degraded = false;
    this.#lastError = undefined;
    this.#log.warn({ redis: this.#target }, 'rate limit store recovered: counting in Redis again');
  }

  /** Waits up to `ms` for the first connection, so the first requests count in Redis. Never fails. */
  async connected(ms: number): Promise<boolean> {
    const redis = this.#redis;
    if (!redis) return true;
    if (redis.status === 'ready') return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      redis.once('ready', onReady);
    });
  }

  /** A PING under the same bound as a request: for /healthz. */
  async check(): Promise<StoreCheck> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 100) / 100;
    const redis = this.#redis;
    const settings = this.#settings;
    if (!redis || !settings) {
      return {
        ok: true,
        durationMs: 0,
        message: 'rate limits are counted in this process (no RATE_LIMIT_REDIS_URL)',
        details: { store: 'memory' },
      };
    }
    const details = { store: 'redis', redis: this.#target, status: redis.status, onFailure: settings.failure };
    if (redis.status !== 'ready') {
      return {
        ok: false,
        durationMs: elapsed(),
        code: 'REDIS_UNAVAILABLE',
        message: `Redis at ${this.#target} is ${redis.status}${this.#lastError ? ` (${this.#lastError})` : ''}; ${describePolicy(settings.failure)}`,
        details,
      };
    }
    try {
      await withinBound(redis.ping(), settings.timeoutMs);
      return { ok: true, durationMs: elapsed(), message: `Redis at ${this.#target} answered PING`, details };
    } catch (error) {
      const timedOut = error instanceof RedisTimeoutError;
      return {
        ok: false,
        durationMs: elapsed(),
        code: timedOut ? 'REDIS_TIMEOUT' : 'REDIS_ERROR',
        message: `Redis at ${this.#target} ${timedOut ? `did not answer PING within ${settings.timeoutMs} ms` : `failed: ${(error as Error).message}`}; ${describePolicy(settings.failure)}`,
        details,
      };
    }
  }

  /**
   * A store class for @fastify/rate-limit (its `store` option), counting on one side: the
   * callers' limit and any route's own limit on callers on `callers`, a limit keyed by client
   * address on `anonymous`. Route stores prefix their keys with the route, as the plugin's own
   * stores do.
   */
  pluginStore(side: LimitSide): FastifyRateLimitStoreCtor {
    const charge = (request: ChargeRequest) =>
      side === 'callers' ? this.charge(request) : this.chargeAnonymous(request);
    return class SharedStore implements FastifyRateLimitStore {
      readonly #prefix: string;
      constructor(_params?: unknown, prefix = '') {
        this.#prefix = prefix;
      }
      incr(key: string, callback: Parameters<FastifyRateLimitStore['incr']>[1], timeWindow: number): void {
        let outcome: CountResult | Promise<CountResult>;
        try {
          outcome = charge({ key: this.#prefix + key, cost: 1, windowMs: timeWindow });
        } catch (error) {
          callback(error as Error);
          return;
        }
        if (outcome instanceof Promise) {
          outcome.then(
            (result) => callback(null, { current: result.current, ttl: result.ttlMs }),
            (error: Error) => callback(error),
          );
        } else {
          callback(null, { current: outcome.current, ttl: outcome.ttlMs });
        }
      }
      // The plugin passes the route's merged limit options, the route itself under `routeInfo`
      // (its type declaration says otherwise).
      child(routeOptions: unknown): FastifyRateLimitStore {
        const route = (routeOptions as { routeInfo?: { method?: string; url?: string } }).routeInfo;
        return new SharedStore(undefined, `${this.#prefix}${route?.method ?? ''}${route?.url ?? ''}-`);
      }
    };
  }

  async close(): Promise<void> {
    if (!this.#redis) return;
    // quit() waits for a reply that a dead Redis never sends; disconnect() does not wait.
    this.#redis.disconnect();
  }
}

/**
 * Rejects with RedisTimeoutError when `work` has not settled `ms` after the call. When the timer
 * fires, the answer may already sit unread in the socket: the event loop runs timers before it
 * polls for I/O, so a busy process (not a slow Redis) would read its own lag as a timeout (the
 * fleet test saw 59 of 60 over-limit requests let through that way). The verdict therefore waits
 * for that poll: setImmediate runs right after it.
 */
function withinBound<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(new RedisTimeoutError(`Redis did not answer within ${ms} ms`));
        }),
      ms,
    );
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error as Error);
      },
    );
  });
}

function describePolicy(policy: RedisSettings['failure'] | undefined): string {
  switch (policy) {
    case 'open':
      return 'requests are allowed without counting';
    case 'closed':
      return 'rate-limited routes answer 503 RATE_LIMIT_UNAVAILABLE';
    default:
      return 'each replica counts on its own';
  }
}

function connectionOptions(settings: RedisSettings, passwordFromFile: string | undefined): RedisOptions {
  const url = new URL(settings.url);
  const connectTimeout = Math.max(1000, settings.timeoutMs * 10);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: passwordFromFile ?? (url.password === '' ? undefined : decodeURIComponent(url.password)),
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
    // rediss://: TLS with the host name checked against the certificate (Node's default trust
    // store; NODE_EXTRA_CA_CERTS adds a private CA such as Memorystore's).
    tls: url.protocol === 'rediss:' ? { servername: url.hostname } : undefined,
    connectTimeout,
    // A request never queues behind a reconnect: with Redis away, commands fail at once and the
    // failure policy answers.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // Reconnect for ever, backing off to 2 s: recovery needs no operator.
    retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2000),
    // Commands from concurrent requests share one write: fewer syscalls under load.
    enableAutoPipelining: true,
    connectionName: 's3-presign',
  };
}
