import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CachedHealth, type HealthReport } from './checks.js';
import { serviceHealthCheck } from './service-health.js';

const checkSchema = z.object({
  name: z.enum(['dns', 'tcp', 'tls', 's3', 'credentials', 'clock']),
  ok: z.boolean(),
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
    failed: z.array(z.string()).describe('Names of the failed checks'),
    checks: z.array(checkSchema),
  })
  .meta({ id: 'HealthReport' });

const probeStatusSchema = z.object({ status: z.enum(['ok', 'fail']) });

function render(report: HealthReport) {
  return {
    status: report.ok ? ('ok' as const) : ('fail' as const),
    checkedAt: report.checkedAt,
    durationMs: report.durationMs,
    failed: report.checks.filter((check) => !check.ok).map((check) => check.name),
    checks: report.checks,
  };
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const health = new CachedHealth(serviceHealthCheck(app.config, app.signing), app.config.health.cacheTtlMs);

  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });

  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Reachability of the pinned S3 endpoint',
        description:
          'DNS (with private/public classification), TCP, TLS with certificate name check, an authenticated S3 request, credentials and clock skew. Cached for HEALTH_CACHE_TTL_MS.',
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
        summary: 'The process is alive',
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
        summary: 'The service accepts requests (503 while shutting down)',
        tags: ['operations'],
        response: { 200: probeStatusSchema, 503: probeStatusSchema },
      },
    },
    async (_request, reply) => reply.status(closing ? 503 : 200).send({ status: closing ? 'fail' : 'ok' }),
  );
};
