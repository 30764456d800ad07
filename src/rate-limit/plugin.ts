// Rate limiting for the protected routes: each caller (each end user, for JWT callers) has
// RATE_LIMIT_MAX per window, counted in the one store (src/rate-limit/limiter.ts). A request
// costs one; a route that issues several URLs charges the rest with reply.chargeUrls(n) once
// it knows n, and is refused whole when they do not fit.
import { format as formatDuration } from '@lukeed/ms';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config/config.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { CountResult } from './counters.js';
import type { RateLimiter } from './limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Where every rate limit counts: any other @fastify/rate-limit registration passes
     * `store: app.rateLimiter.pluginStore('callers')`, or `('anonymous')` when keyed by client address.
     */
    rateLimiter: RateLimiter;
  }
  interface FastifyReply {
    /**
     * Charges the caller's budget for a request that issues `urls` URLs (a batch, multipart part
     * URLs). The request itself was charged one by the rate-limit hook; this adds `urls - 1`, all
     * or nothing: when they do not fit, nothing is added and it throws 429 RATE_LIMITED with
     * Retry-After. Call it after validating the body and before signing anything.
     */
    chargeUrls(urls: number): Promise<void>;
  }
}

/** What a rate-limited route refuses with: over budget, or the shared store gone under the `closed` policy. */
export const RATE_LIMIT_ERRORS = ['RATE_LIMITED', 'RATE_LIMIT_UNAVAILABLE'] as const satisfies readonly ErrorCode[];

/** Root: decorates the store for every context and closes it with the app. */
async function rateLimiterPlugin(app: FastifyInstance, options: { limiter: RateLimiter }): Promise<void> {
  app.decorate('rateLimiter', options.limiter);
  app.addHook('onClose', async () => options.limiter.close());
}
export const rateLimiterProvider = fp(rateLimiterPlugin, { name: 'rate-limiter', fastify: '5.x' });

/**
 * The 429 of either budget: the limit, its window, and when it resets (`Retry-After` in words).
 * @fastify/rate-limit's `after` is the time left in the window, not the window: written as "per
 * …" it told a caller at a 60 s window, refused 20 s in, that the limit was "per 40 seconds".
 */
export function rateLimitedError(max: number, windowMs: number, retryMs: number): AppError {
  return new AppError(
    'RATE_LIMITED',
    `rate limit of ${max} requests per ${formatDuration(windowMs, true)} exceeded; retry in ${formatDuration(Math.ceil(retryMs / 1000) * 1000, true)}`,
  );
}

/** The key of a caller's budget: its id, and the end user for JWT callers. */
export function callerBudgetKey(request: FastifyRequest): string {
  return `${request.caller.id}:${request.caller.subject ?? ''}`;
}

async function callerRateLimitPlugin(app: FastifyInstance, options: { config: Config }): Promise<void> {
  const { max, windowSeconds } = options.config.rateLimit;
  const windowMs = windowSeconds * 1000;
  const limiter = app.rateLimiter;
  const metrics = app.metrics;
  const countRefusal = (request: FastifyRequest) =>
    metrics.rateLimited.inc({ caller: request.caller?.id ?? 'anonymous', route: request.routeOptions.url ?? '' });

  // The answer @fastify/rate-limit gave with these options (its default headers, its 429), from a
  // callback hook: the plugin's hook took 8 of /presign's 26 promises a request (async_hooks),
  // while the in-memory store answers synchronously. The verify route keeps the plugin.
  const counted = (
    request: FastifyRequest,
    reply: FastifyReply,
    result: CountResult,
    done: HookHandlerDoneFunction,
  ) => {
    const resetSeconds = Math.ceil(result.ttlMs / 1000);
    void reply.header('x-ratelimit-limit', max);
    if (result.current <= max) {
      void reply.header('x-ratelimit-remaining', max - result.current);
      void reply.header('x-ratelimit-reset', resetSeconds);
      done();
      return;
    }
    countRefusal(request);
    void reply.header('x-ratelimit-remaining', 0);
    void reply.header('x-ratelimit-reset', resetSeconds);
    void reply.header('retry-after', resetSeconds);
    done(rateLimitedError(max, windowMs, resetSeconds * 1000));
  };
  // After authentication and body validation: each caller (each end user, for frontends) has
  // its own budget, and a batch's size is known when its route charges the rest.
  app.addHook('preHandler', (request, reply, done) => {
    let outcome: CountResult | Promise<CountResult>;
    try {
      outcome = limiter.charge({ key: callerBudgetKey(request), cost: 1, windowMs });
    } catch (error) {
      done(error as Error);
      return;
    }
    if (outcome instanceof Promise) outcome.then((result) => counted(request, reply, result, done), done);
    else counted(request, reply, outcome, done);
  });

  app.decorateReply('chargeUrls', async function chargeUrls(this: FastifyReply, urls: number): Promise<void> {
    if (!Number.isInteger(urls) || urls < 1) throw new RangeError(`chargeUrls: ${urls} is not a URL count`);
    if (urls === 1) return;
    const request = this.request;
    const result = await limiter.charge({
      key: callerBudgetKey(request),
      cost: urls - 1,
      windowMs,
      fitWithin: max,
    });
    const retryAfter = Math.max(1, Math.ceil(result.ttlMs / 1000));
    if (!result.charged) {
      countRefusal(request);
      // The request itself took one: that one is what is left to report.
      const left = Math.max(0, max - result.current);
      this.header('x-ratelimit-remaining', left);
      this.header('retry-after', retryAfter);
      throw new AppError(
        'RATE_LIMITED',
        `this request issues ${urls} URLs, but only ${left + 1} of the rate limit of ${max} per ${windowSeconds} s were left; nothing was issued: retry in ${retryAfter} s or ask for fewer`,
      );
    }
    this.header('x-ratelimit-remaining', Math.max(0, max - result.current));
  });
}

export const callerRateLimit = fp(callerRateLimitPlugin, {
  name: 'caller-rate-limit',
  fastify: '5.x',
  dependencies: ['rate-limiter', 'metrics', 'authentication'],
});
