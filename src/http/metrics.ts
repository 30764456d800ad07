// Prometheus metrics on a registry of the app's own, so two apps in one process (tests)
// never share counters.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface ServiceMetrics {
  registry: Registry;
  urlsIssued: Counter<'operation'>;
  urlsRejected: Counter<'code'>;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  rateLimited: Counter<'caller' | 'route'>;
  rateLimitRedisDuration: Histogram<'outcome'>;
  rateLimitRedisErrors: Counter<'reason'>;
  rateLimitDegraded: Counter<'policy'>;
  rateLimitRedisUp: Gauge;
  rateLimitTableFull: Counter<'side'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ServiceMetrics;
  }
}

export function createServiceMetrics(): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    urlsIssued: new Counter({
      name: 's3presign_urls_issued_total',
      help: 'Presigned URLs returned to callers, after validation',
      labelNames: ['operation'],
      registers: [registry],
    }),
    urlsRejected: new Counter({
      name: 's3presign_urls_rejected_total',
      help: 'Presigned URLs the validator refused to return, by the first failed check',
      labelNames: ['code'],
      registers: [registry],
    }),
    requestDuration: new Histogram({
      name: 's3presign_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
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
    rateLimitTableFull: new Counter({
      name: 's3presign_rate_limit_table_full_total',
      help: "Requests refused because this process's table of rate-limit windows was full, by side (callers, anonymous)",
      labelNames: ['side'],
      registers: [registry],
    }),
  };
}

async function metricsPlugin(app: FastifyInstance, options: { metrics: ServiceMetrics }): Promise<void> {
  const { metrics } = options;
  app.decorate('metrics', metrics);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe(
      {
        method: request.method,
        // The route pattern, not the URL: URLs would explode the label set.
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(metrics.registry.contentType);
    return metrics.registry.metrics();
  });
}

export const metricsProvider = fp(metricsPlugin, { name: 'metrics', fastify: '5.x' });
