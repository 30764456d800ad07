import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CachedHealth } from './cached-health.js';
import type { HealthCheckName, HealthCheckResult, HealthReport } from './endpoint-checks.js';
import { HealthMetrics } from './health-metrics.js';
import { serviceHealthCheck } from './default-bucket-health.js';
import { storeCheck } from './store-guarantees.js';

const checkSchema = z.object({
  name: z.enum(['dns', 'tcp', 'tls', 's3', 'credentials', 'clock', 'rate-limit-store', 'store']),
  ok: z.boolean(),
  critical: z
    .boolean()
    .optional()
    .describe('false: a failure is reported under `degraded` and does not turn the status to fail'),
  skipped: z.boolean().optional(),
  durationMs: z.number(),
  message: z.string(),
  code: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

const healthReportSchema = z
  .object({
    status: z.enum(['ok', 'fail']),
    checkedAt: z.iso.datetime(),
    durationMs: z.number(),
    failed: z.array(z.string()).describe('Names of the failed checks that make the status fail'),
    degraded: z
      .array(z.string())
      .describe('Names of failed non-critical checks: the service still answers, in a documented degraded way'),
    checks: z.array(checkSchema),
  })
  .meta({ id: 'HealthReport' });

const probeStatusSchema = z.object({ status: z.enum(['ok', 'fail']) });

type ReportedCheck = Omit<HealthCheckResult, 'name'> & {
  name: HealthCheckName | 'rate-limit-store' | 'store';
  critical?: boolean;
};
type ServiceReport = Omit<HealthReport, 'checks'> & { checks: ReportedCheck[] };

function render(report: ServiceReport) {
  return {
    status: report.ok ? ('ok' as const) : ('fail' as const),
    checkedAt: report.checkedAt,
    durationMs: report.durationMs,
    failed: report.checks.filter((check) => !check.ok && check.critical !== false).map((check) => check.name),
    degraded: report.checks.filter((check) => !check.ok && check.critical === false).map((check) => check.name),
    checks: report.checks,
  };
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const endpointChecks = serviceHealthCheck(app.config, app.signing);
  const healthMetrics = new HealthMetrics(app.metrics, app.signing.policy.now);
  const health = new CachedHealth<ServiceReport>(async () => {
    const [report, limits, store] = await Promise.all([
      endpointChecks(),
      app.rateLimiter.check(),
      storeCheck(app.config, app.config.buckets[0] as string),
    ]);
    // Neither is critical. Every replica shares the one Redis, so failing /healthz for it would
    // fail them all at once, and the failure policy (RATE_LIMIT_REDIS_FAILURE) already decides
    // what requests get meanwhile. What the store enforces does not change whether it answers:
    // a guarantee it lacks is the operator's to act on, not a reason to stop serving. Both are
    // reported and counted in metrics, never the status.
    const full: ServiceReport = {
      ...report,
      checks: [
        ...report.checks,
        { name: 'rate-limit-store', critical: false, ...limits },
        { name: 'store', critical: false, ...store },
      ],
    };
    healthMetrics.record(full);
    return full;
  }, app.config.health.cacheTtlMs);

  app.metrics.onScrape(() => {
    // Started, not awaited (src/health/health-metrics.ts says why); a run never rejects.
    health.get().catch(() => undefined);
    healthMetrics.refreshExpiry();
  });

  app.addHook('preClose', async () => {
    app.readiness.draining = true;
  });
  // A round a scrape started must not outlive the app: it holds sockets and the S3 client.
  app.addHook('onClose', async () => {
    await health.idle();
  });

  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'getHealth',
        summary: 'Reachability of the pinned S3 endpoint',
        description:
          "DNS (with private/public classification), TCP, TLS with certificate name check, an authenticated S3 request, credentials and clock skew; and, not critical, the rate-limit store (Redis PING) and the last store probe's findings (S3_STORE_PROBE_FILE, written by `s3-presign doctor --probe-store`). Cached for HEALTH_CACHE_TTL_MS.",
        tags: ['operations'],
        response: { 200: healthReportSchema, 503: healthReportSchema },
      },
    },
    async (_request, reply) => {
      const report = await health.get();
      return reply.status(report.ok ? 200 : 503).send(render(report));
    },
  );

  app.get(
    '/livez',
    {
      schema: {
        operationId: 'getLiveness',
        summary: 'The process is alive',
        description: 'For liveness probes: answers 200 while the event loop runs, and checks nothing else.',
        tags: ['operations'],
        response: { 200: probeStatusSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        operationId: 'getReadiness',
        summary: 'The service accepts requests (503 while shutting down)',
        description:
          'For readiness probes: 503 from SIGTERM on, while requests are still served for SHUTDOWN_DRAIN_MS, so the load balancer stops sending new ones first. It does not check S3: /healthz does.',
        tags: ['operations'],
        response: { 200: probeStatusSchema, 503: probeStatusSchema },
      },
    },
    async (_request, reply) => {
      const draining = app.readiness.draining;
      return reply.status(draining ? 503 : 200).send({ status: draining ? 'fail' : 'ok' });
    },
  );
};
