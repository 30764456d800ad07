// Prometheus metrics on a registry of the app's own, so two apps in one process (tests)
// never share counters. Every label has a bounded set of values (test/http/metrics.test.ts):
// route patterns, not URLs; check names and failure codes from closed lists; caller ids from
// the clients file. The alert rules (deploy/prometheus/) and the dashboard (deploy/grafana/)
// read these names: renaming one breaks them, and their tests say so.
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { URL_CHECK_CODES } from '../errors.js';
import { LIMIT_SIDES } from '../rate-limit/limit-sides.js';
import { RequestDurationHistogram } from './request-duration-histogram.js';

export interface ServiceMetrics {
  registry: Registry;
  urlsIssued: Counter<'operation'>;
  urlsRejected: Counter<'code'>;
  requestDuration: RequestDurationHistogram;
  rateLimited: Counter<'caller' | 'route'>;
  rateLimitRedisDuration: Histogram<'outcome'>;
  rateLimitRedisErrors: Counter<'reason'>;
  rateLimitDegraded: Counter<'policy'>;
  rateLimitRedisUp: Gauge;
  rateLimitTableFull: Counter<'side'>;
  /** 1 while the check passed (or was skipped) in the last health report, 0 while it failed. */
  healthCheckUp: Gauge<'check'>;
  healthCheckDuration: Gauge<'check'>;
  /** When the last health report was taken, so a stale one can be told apart. */
  healthCheckedAt: Gauge;
  /** Seconds until the signing credentials expire; absent for credentials that never do. */
  credentialsExpiry: Gauge<'source'>;
  overloadRefused: Counter;
  buildInfo: Gauge<'version' | 'node' | 'mode'>;
  /** Registers work for each scrape to start (never to wait for): see beforeScrape. */
  onScrape(hook: () => void): void;
  /** Called by GET /metrics before it renders. */
  beforeScrape(): void;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

export interface ServiceIdentity {
  mode: EndpointMode['kind'];
  /** Defaults to this package's version. */
  version?: string;
}

export function createServiceMetrics(identity: ServiceIdentity): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const scrapeHooks: Array<() => void> = [];
  const urlsRejected = new Counter({
    name: 's3presign_urls_rejected_total',
    help: 'Presigned URLs the validator refused to return, by the first failed check',
    labelNames: ['code'],
    registers: [registry],
  });
  // Every code starts at 0: increase() sees the first refusal of a code only after a sample
  // without it, and one refusal is what the alert pages on.
  for (const code of URL_CHECK_CODES) urlsRejected.inc({ code }, 0);
  const rateLimitTableFull = new Counter({
    name: 's3presign_rate_limit_table_full_total',
    help: "Requests refused because this process's table of rate-limit windows was full, by side (callers, anonymous)",
    labelNames: ['side'],
    registers: [registry],
  });
  // Both sides start at 0 too, so the first refusal shows in increase().
  for (const side of LIMIT_SIDES) rateLimitTableFull.inc({ side }, 0);
  const buildInfo = new Gauge({
    name: 's3presign_build_info',
    help: 'Always 1: the running version, the Node.js major line and the endpoint mode',
    labelNames: ['version', 'node', 'mode'],
    registers: [registry],
  });
  buildInfo.set(
    {
      version: identity.version ?? packageVersion(),
      node: process.versions.node.split('.')[0] ?? 'unknown',
      mode: identity.mode,
    },
    1,
  );
  return {
    registry,
    urlsIssued: new Counter({
      name: 's3presign_urls_issued_total',
      help: 'Presigned URLs returned to callers, after validation',
      labelNames: ['operation'],
      registers: [registry],
    }),
    urlsRejected,
    requestDuration: new RequestDurationHistogram({
      name: 's3presign_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registry,
    }),
    rateLimited: new Counter({
      name: 's3presign_rate_limited_total',
      help: 'Requests refused with 429 by a rate limit, by caller id (the clients file names them: a bounded set)',
      labelNames: ['caller', 'route'],
      registers: [registry],
    }),
    rateLimitRedisDuration: new Histogram({
      name: 's3presign_rate_limit_redis_duration_seconds',
      help: 'Round trips to the shared rate-limit Redis, by outcome (ok, error, timeout)',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers: [registry],
    }),
    rateLimitRedisErrors: new Counter({
      name: 's3presign_rate_limit_redis_errors_total',
      help: 'Rate-limit Redis failures: commands that timed out or failed, and connection errors',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rateLimitDegraded: new Counter({
      name: 's3presign_rate_limit_degraded_total',
      help: 'Rate-limit decisions taken without Redis, by RATE_LIMIT_REDIS_FAILURE policy (local, open, closed)',
      labelNames: ['policy'],
      registers: [registry],
    }),
    rateLimitRedisUp: new Gauge({
      name: 's3presign_rate_limit_redis_up',
      help: '1 while the connection to the rate-limit Redis is ready, else 0 (always 0 without RATE_LIMIT_REDIS_URL)',
      registers: [registry],
    }),
    rateLimitTableFull,
    healthCheckUp: new Gauge({
      name: 's3presign_health_check_up',
      help: 'Each /healthz check in the last report (refreshed every HEALTH_CACHE_TTL_MS at most): 1 passed or skipped, 0 failed',
      labelNames: ['check'],
      registers: [registry],
    }),
    healthCheckDuration: new Gauge({
      name: 's3presign_health_check_duration_seconds',
      help: 'How long each /healthz check took in the last report',
      labelNames: ['check'],
      registers: [registry],
    }),
    healthCheckedAt: new Gauge({
      name: 's3presign_health_checked_timestamp_seconds',
      help: 'When the last health report was taken (Unix time); 0 before the first',
      registers: [registry],
    }),
    credentialsExpiry: new Gauge({
      name: 's3presign_credentials_expiry_seconds',
      help: 'Seconds until the signing credentials seen by the last health report expire, by where they came from; absent when they never expire',
      labelNames: ['source'],
      registers: [registry],
    }),
    overloadRefused: new Counter({
      name: 's3presign_overload_refused_total',
      help: 'Presign requests refused with 503 OVERLOADED because the event loop lagged past OVERLOAD_MAX_EVENT_LOOP_DELAY_MS',
      registers: [registry],
    }),
    buildInfo,
    onScrape(hook) {
      scrapeHooks.push(hook);
    },
    beforeScrape() {
      for (const hook of scrapeHooks) hook();
    },
  };
}

function packageVersion(): string {
  // package.json sits two levels above this file in src/ and in dist/ alike (the image copies it).
  const raw: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = (raw as { version?: unknown }).version;
  return typeof version === 'string' ? version : 'unknown';
}

async function metricsPlugin(app: FastifyInstance, options: { metrics: ServiceMetrics }): Promise<void> {
  const { metrics } = options;
  app.decorate('metrics', metrics);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe(
      request.method,
      // The route pattern, not the URL: URLs would explode the label set.
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    metrics.beforeScrape();
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

export const metricsProvider = fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
