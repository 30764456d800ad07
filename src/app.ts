// buildApp composes the service from its plugins and routes. It reads no environment and
// opens no port: server.ts owns the process, tests inject requests.
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import pino from 'pino';
import { auditProvider } from './audit/audit-plugin.js';
import type { AuditDestination } from './audit/audit-trail.js';
import { authentication } from './auth/authentication.js';
import type { CallerRegistry } from './auth/callers.js';
import type { Config } from './config/config.js';
import { AppError } from './errors.js';
import { healthRoutes } from './health/routes.js';
import { clientErrorHandler, errorHandler, render } from './http/error-handler.js';
import { declaredErrorCodes, errorResponseSchema } from './http/error-schema.js';
import {
  logLineHooks,
  REDACTED_PATHS,
  redactSecrets,
  REQUEST_LINE_MESSAGE,
  requestSerializers,
} from './http/log-redaction.js';
import { createServiceMetrics, metricsProvider } from './http/metrics.js';
import { corsPolicy } from './http/cors.js';
import { openApi } from './http/openapi.js';
import { securityHeadersProvider } from './http/security-headers.js';
import type { DevelopmentTokenIssuer } from './local/development-tokens.js';
import type { CredentialSource } from './presign/credentials.js';
import { createPresigner } from './presign/create-presigner.js';
import { appContext } from './app-context.js';
import { presignRoutes } from './presign/routes.js';
import { RateLimiter } from './rate-limit/limiter.js';
import { callerRateLimit, rateLimitedError, rateLimiterProvider } from './rate-limit/plugin.js';
import { uploadRoutes } from './frontend-api/routes.js';
import { verifyRoutes } from './verify/routes.js';
import { multipartProvider } from './multipart/multipart-plugin.js';
import { formUploadsProvider } from './form-uploads/form-upload-plugin.js';
import { multipartRoutes } from './multipart/routes.js';
import { companionRoutes } from './uppy/companion-routes.js';
import { uppyRoutes } from './uppy/uppy-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    readiness: { draining: boolean };
  }
  interface FastifyRequest {
    /** The request span's trace id, with traces on (src/telemetry/tracing.ts). */
    traceId?: string;
  }
}

export interface AppDependencies {
  /** Who may call the presign routes: the clients file, or local mode's development key. */
  callers: CallerRegistry;
  /**
   * Local mode's development token issuer: given, POST /dev/token and the /demo page are
   * served (on loopback), and its tokens authenticate as the local frontend beside `callers`.
   */
  developmentTokens?: DevelopmentTokenIssuer;
  /** Defaults to the SDK's provider chain (the embedded server's keys in local mode). */
  credentials?: CredentialSource;
  now?: () => Date;
  /** The shared rate-limit Redis's password, from RATE_LIMIT_REDIS_PASSWORD_FILE (server.ts reads it). */
  redisPassword?: string;
  /** A pino destination or logger options; defaults to JSON on stdout at the configured level. */
  logger?: FastifyServerOptions['logger'];
  /** Where audit events go instead of AUDIT_LOG's choice (tests capture them with the log lines). */
  audit?: AuditDestination;
}

/** pino options with the service's redaction; `stream` redirects the output (tests). */
export function loggerOptions(config: Config, stream?: { write(line: string): void }): FastifyServerOptions['logger'] {
  return {
    level: config.server.logLevel,
    redact: { paths: REDACTED_PATHS, censor: 'REDACTED' },
    serializers: requestSerializers,
    hooks: logLineHooks,
    stream: stream ?? stdoutLog(),
  };
}

/**
 * Standard output, written line by line as each is logged. pino's own default buffers lines
 * and writes them from the thread pool: an audit event (AUDIT_LOG=stdout) written before its
 * URL is answered could still be in the process when the URL leaves, and lost if the process
 * is killed. Written here, it is in the kernel's hands first; a log reader that stops reading
 * stops the service rather than letting it grant unrecorded. It costs no more server CPU than
 * the thread-pool writes did (docs/performance.md, seventh pass).
 */
function stdoutLog(): ReturnType<typeof pino.destination> {
  return pino.destination({ dest: 1, sync: true });
}

export async function buildApp(config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  if (deps.developmentTokens !== undefined && config.mode.kind !== 'local') {
    throw new Error('the development token issuer is for local mode only');
  }
  const metrics = createServiceMetrics({ mode: config.mode.kind });
  const app = Fastify({
    logger: deps.logger ?? loggerOptions(config),
    bodyLimit: config.server.bodyLimitBytes,
    // Behind a load balancer the client's address is in X-Forwarded-For (TRUST_PROXY).
    trustProxy: config.server.trustProxy,
    return503OnClosing: true,
    // Slow clients (docs/operations.md, "HTTP timeouts"): a request must arrive within its time, headers
    // first; an idle keep-alive connection outlives the load balancer's own idle timeout.
    requestTimeout: config.http.requestTimeoutMs,
    keepAliveTimeout: config.http.keepAliveTimeoutMs,
    http: {
      headersTimeout: config.http.headersTimeoutMs,
      // Node checks both timeouts on this interval (30 s by default, which would let a slow
      // client overstay by as much): a few checks per headers timeout, at most one a second.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.http.headersTimeoutMs / 4))),
    },
    clientErrorHandler,
    // One line per request (below) instead of Fastify's two: half the logging cost on the hot path.
    logController: new LogController({ disableRequestLogging: true }),
    // Companion's routes carry the upload ID in the path, and ours are HMAC tokens (at most
    // 2,048 characters): the router's default of 100 would refuse them.
    routerOptions: { maxParamLength: 2100 },
    // The router's own refusals (a path parameter over that length, a broken %-escape in one)
    // in the service's error shape, without echoing the path.
    frameworkErrors: (error, _request, reply) => {
      const problem =
        error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'has a parameter over 2,100 characters' : 'is not valid';
      const refusal = new AppError('VALIDATION_FAILED', `the request path ${problem}`, { field: 'path' });
      void (reply as FastifyReply).code(400).header('cache-control', 'no-store').send(render(refusal));
    },
  }).withTypeProvider<ZodTypeProvider>();
  // Off unless OTEL_* ask for it, and then loaded: an idle SDK would still cost its import.
  const tracing =
    config.tracing === undefined
      ? undefined
      : (await import('./telemetry/tracing.js')).startTracing(config.tracing, (error) =>
          // Not the error itself: its `data` is the collector's answer, which may quote the
          // token OTEL_EXPORTER_OTLP_HEADERS sent. Its status and reason say what went wrong.
          app.log.warn({ exportError: exportFailure(error) }, 'the last spans could not be exported'),
        );
  if (tracing !== undefined) {
    // First, so every other hook runs inside the request's span.
    await app.register(tracing.plugin);
    app.addHook('onClose', () => tracing.shutdown());
  }
  // Callback hooks, here and on the hot path: an async hook costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    reply.log.info(
      {
        req: request,
        res: reply,
        responseTime: reply.elapsedTime,
        caller: request.caller?.id,
        traceId: request.traceId,
      },
      REQUEST_LINE_MESSAGE,
    );
    done();
  });
  app.setValidatorCompiler(validatorCompiler);
  // Success bodies come from typed code; re-checking each against its zod schema cost about a
  // sixth of /presign (measured with npm run bench). Errors, rarer, keep the checked path, held
  // to the one Error shape rather than to the codes the route declares: a code the declaration
  // missed still reaches the caller as it is, not as a 500 (the tests hold the declarations).
  app.setSerializerCompiler((route) => {
    if (String(route.httpStatus).startsWith('2')) return (data: unknown) => JSON.stringify(data);
    const schema = declaredErrorCodes(route.schema) === undefined ? route.schema : errorResponseSchema;
    return serializerCompiler({ ...route, schema } as Parameters<typeof serializerCompiler>[0]);
  });
  // JSON only: a text/plain body is refused with 415 rather than half-parsed.
  app.removeContentTypeParser('text/plain');

  const signing = await createPresigner(config, {
    credentials: deps.credentials,
    now: deps.now,
    instrumentS3: tracing?.traceS3Client,
    onRejected(report, request) {
      metrics.urlsRejected.inc({ code: report.failures[0]?.code ?? 'unknown' });
      app.log.error(
        { bucket: request.bucket, operation: request.operation, failures: report.failures.map(scrubFailure) },
        'presigned URL failed validation and was not returned',
      );
    },
  });

  // Set by server.ts on SIGTERM: /readyz fails while requests are still served (SHUTDOWN_DRAIN_MS).
  app.decorate('readiness', { draining: false });
  await app.register(errorHandler);
  await app.register(securityHeadersProvider, {
    // A JSON API with one small first-party page: nothing loads from elsewhere.
    helmet: { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"] } } },
  });
  // Browser origins: CORS_ORIGINS, and a 403 that explains itself for any other (src/http/cors.ts).
  await app.register(corsPolicy, { origins: config.cors.origins });
  await app.register(metricsProvider, { metrics });
  const limiter = new RateLimiter({
    redis: config.rateLimit.redis,
    redisPassword: deps.redisPassword,
    metrics,
    log: app.log,
  });
  await app.register(rateLimiterProvider, { limiter });
  await app.register(appContext, { config, signing });
  await app.register(auditProvider, { destination: deps.audit });
  await app.register(multipartProvider, { now: deps.now });
  await app.register(formUploadsProvider);
  await app.register(openApi, { publicUrl: config.server.publicBaseUrl });
  await app.register(healthRoutes);
  await app.register(async (open) => {
    // /verify needs no caller: its own budget per client address (the route declares it),
    // counted before the body is read, on the anonymous side: apart from callers' budgets.
    await open.register(rateLimit, {
      global: false,
      store: open.rateLimiter.pluginStore('anonymous'),
      errorResponseBuilder: (_request, context) =>
        rateLimitedError(context.max, config.verifyRateLimit.windowSeconds * 1000, context.ttl),
    });
    await open.register(verifyRoutes);
  });
  await app.register(async (api) => {
    if (config.overload.maxEventLoopDelayMs > 0) {
      // First, so a saturated process refuses new work before spending any on it. Only the
      // presign routes: probes and metrics must keep answering while it sheds.
      await api.register(underPressure, {
        maxEventLoopDelay: config.overload.maxEventLoopDelayMs,
        // Counted, then refused as the plugin itself would (a rejection goes to the error handler).
        pressureHandler: async (_request, reply) => {
          metrics.overloadRefused.inc();
          void reply.header('retry-after', OVERLOAD_RETRY_AFTER_SECONDS);
          throw new OverloadedError();
        },
      });
    }
    const callers = deps.developmentTokens ? deps.callers.withDevelopmentTokens(deps.developmentTokens) : deps.callers;
    await api.register(authentication, { callers });
    await api.register(callerRateLimit, { config });
    await api.register(presignRoutes);
    await api.register(uploadRoutes);
    await api.register(multipartRoutes);
    await api.register(companionRoutes);
    await api.register(uppyRoutes);
  });
  if (deps.developmentTokens !== undefined) {
    const { developmentTokenRoutes } = await import('./local/development-token-routes.js');
    await app.register(developmentTokenRoutes, { issuer: deps.developmentTokens });
    const { demoRoutes } = await import('./demo/routes.js');
    await app.register(demoRoutes);
  }
  return app;
}

const OVERLOAD_RETRY_AFTER_SECONDS = 5;

class OverloadedError extends AppError {
  constructor() {
    super('OVERLOADED', `the service is overloaded; retry in ${OVERLOAD_RETRY_AFTER_SECONDS} seconds`);
  }
}

function scrubFailure(failure: { code: string; message: string }) {
  return { code: failure.code, message: redactSecrets(failure.message) };
}

/** A failed span export as logged: its kind, the collector's HTTP status (if it answered) and reason. */
function exportFailure(error: Error): { name: string; code?: number; message: string } {
  const { code } = error as { code?: unknown };
  return {
    name: error.name,
    ...(typeof code === 'number' && { code }),
    message: redactSecrets(error.message),
  };
}
