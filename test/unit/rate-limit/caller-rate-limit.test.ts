// The caller rate limit and authentication run as callback hooks (issue 22, fourth pass). The
// caller limit used to be @fastify/rate-limit's hook: it stays here, registered as it was, as
// the reference every generated request sequence must be answered like (status, headers, body,
// refusals counted). And neither hook may cost a service's request a promise.
import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { test } from 'node:test';
import rateLimit from '@fastify/rate-limit';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { authentication } from '../../../src/auth/authentication.js';
import type { Caller } from '../../../src/auth/caller-policy.js';
import type { CallerRegistry } from '../../../src/auth/callers.js';
import type { Config } from '../../../src/config/config.js';
import { errorHandler } from '../../../src/http/error-handler.js';
import { createServiceMetrics, metricsProvider } from '../../../src/http/metrics.js';
import { RateLimiter } from '../../../src/rate-limit/limiter.js';
import {
  callerBudgetKey,
  callerRateLimit,
  rateLimitedError,
  rateLimiterProvider,
} from '../../../src/rate-limit/plugin.js';

function callerNamed(header: string | undefined): Caller {
  const [id = 'none', subject] = (header ?? '').split('/');
  return {
    id,
    kind: subject === undefined ? 'api-key' : 'jwt',
    subject,
    policy: {
      operations: ['get'],
      buckets: ['b'],
      keyPrefixes: [''],
      maxExpiresSeconds: 3600,
      maxContentLength: undefined,
      contentTypes: undefined,
      presignRoutes: true,
      metadataKeys: [],
      tagKeys: [],
    },
  };
}

/** Callers from `Authorization: <id>[/<subject>]`: an API key's at once, a JWT's through a promise. */
function admit(authorization: string | undefined): Caller | Promise<Caller> {
  const caller = callerNamed(authorization);
  return caller.kind === 'api-key' ? caller : Promise.resolve(caller);
}
const registry = { admit } as unknown as CallerRegistry;

async function limitedApp(variant: 'plugin' | 'hook', limit: { max: number; windowSeconds: number }) {
  const app = Fastify({ logger: false });
  const metrics = createServiceMetrics({ mode: 'regional' });
  const limiter = new RateLimiter({ redis: undefined, metrics, log: pino({ level: 'silent' }) });
  await app.register(errorHandler);
  await app.register(metricsProvider, { metrics });
  await app.register(rateLimiterProvider, { limiter });
  await app.register(authentication, { callers: registry });
  if (variant === 'hook') {
    await app.register(callerRateLimit, { config: { rateLimit: limit } as Config });
  } else {
    // As src/rate-limit/plugin.ts registered it before the fourth pass.
    await app.register(rateLimit, {
      hook: 'preHandler',
      max: limit.max,
      timeWindow: limit.windowSeconds * 1000,
      store: limiter.pluginStore('callers'),
      keyGenerator: callerBudgetKey,
      onExceeded: (request) =>
        metrics.rateLimited.inc({ caller: request.caller?.id ?? 'anonymous', route: request.routeOptions.url ?? '' }),
      // The message from the plugin's own context: the window and the time it has left.
      errorResponseBuilder: (_request, context) =>
        rateLimitedError(context.max, limit.windowSeconds * 1000, context.ttl),
    });
  }
  // Frontends (JWT callers) may use /work; /other is for services only (403 before any count).
  app.post('/work', { config: { access: { family: 'work', frontends: 'open' } } }, async () => ({ done: true }));
  app.get('/other', async () => ({ done: true }));
  await app.ready();
  return { app, metrics };
}

async function answer(app: FastifyInstance, step: { caller: string; route: '/work' | '/other' }) {
  const response = await app.inject({
    method: step.route === '/work' ? 'POST' : 'GET',
    url: step.route,
    headers: { authorization: step.caller },
  });
  const { date: _date, ...headers } = response.headers;
  return { status: response.statusCode, headers, body: response.body };
}

test('the caller limit answers every request as @fastify/rate-limit did: status, headers, body, refusals counted', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
  const windows = [1, 7, 60, 90, 3600, 86_400];
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(...windows),
      fc.array(
        fc.record({
          caller: fc.constantFrom('svc', 'other', 'web/alice', 'web/bob'),
          route: fc.constantFrom('/work' as const, '/other' as const),
          // Within a window, across its end, or long after it.
          advance: fc.oneof(
            fc.constant(0),
            fc.integer({ min: 0, max: 1_500 }),
            fc.integer({ min: 0, max: 100_000_000 }),
          ),
        }),
        { minLength: 1, maxLength: 14 },
      ),
      async (max, windowSeconds, steps) => {
        const reference = await limitedApp('plugin', { max, windowSeconds });
        const ours = await limitedApp('hook', { max, windowSeconds });
        try {
          for (const step of steps) {
            t.mock.timers.tick(step.advance);
            assert.deepEqual(await answer(ours.app, step), await answer(reference.app, step));
          }
          assert.deepEqual(
            (await ours.metrics.rateLimited.get()).values,
            (await reference.metrics.rateLimited.get()).values,
          );
        } finally {
          await Promise.all([reference.app.close(), ours.app.close()]);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('a 429 names the limit, its window, and when the window ends', async (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
  const { app } = await limitedApp('hook', { max: 2, windowSeconds: 60 });
  try {
    for (let i = 0; i < 2; i++) assert.equal((await answer(app, { caller: 'svc', route: '/work' })).status, 200);
    t.mock.timers.tick(20_000);
    const refused = await answer(app, { caller: 'svc', route: '/work' });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['retry-after'], '40');
    assert.match(
      JSON.parse(refused.body).message,
      /^rate limit of 2 requests per 1 minute exceeded; retry in 40 seconds$/,
    );
  } finally {
    await app.close();
  }
});

test("a service's request pays no promise for authentication and its rate limit", async () => {
  const { app } = await limitedApp('hook', { max: 1_000_000, windowSeconds: 60 });
  const bare = Fastify({ logger: false });
  bare.post('/work', async () => ({ done: true }));
  await bare.ready();
  const promisesPerRequest = async (target: FastifyInstance, headers: Record<string, string>) => {
    await target.inject({ method: 'POST', url: '/work', headers });
    let promises = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'PROMISE') promises++;
      },
    });
    hook.enable();
    for (let index = 0; index < 10; index++) await target.inject({ method: 'POST', url: '/work', headers });
    hook.disable();
    return promises / 10;
  };
  try {
    const limited = await promisesPerRequest(app, { authorization: 'svc' });
    assert.equal(limited, await promisesPerRequest(bare, {}));
    // A JWT caller waits on its token's verification: that promise is the only one added.
    assert.ok((await promisesPerRequest(app, { authorization: 'web/alice' })) > limited);
  } finally {
    await Promise.all([app.close(), bare.close()]);
  }
});
