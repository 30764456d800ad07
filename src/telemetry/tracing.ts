// OpenTelemetry traces (docs/operations.md, "Traces"): a span per request from @fastify/otel,
// named by its route template, and a child span per call the service makes to S3 (multipart
// create, list parts, complete, abort, the completed object's HEAD, the health probes). Loaded
// only when TRACE settings exist (app.ts imports this module dynamically): with traces off,
// no OpenTelemetry module is in the process.
//
// Every span passes through one exporter wrapper that redacts what the log lines redact: a
// request path or an S3 error message may carry what a client sent, and a URL's query may
// carry a signature.
import { FastifyOtelInstrumentation } from '@fastify/otel';
import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Tracer,
} from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { S3Client } from '@aws-sdk/client-s3';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import type { TraceSettings } from '../config/config.js';
import { loggableUrl, redactSecrets } from '../http/log-redaction.js';

export interface Tracing {
  /** Registered first on the root instance: the request spans and `request.traceId`. */
  plugin: FastifyPluginCallback;
  /** Gives each command this S3 client sends a span of its own, under the request's span. */
  traceS3Client(client: S3Client): void;
  /**
   * Exports what is buffered, then stops; the process-wide context and propagator go too. A
   * failed export is reported, never thrown.
   */
  shutdown(): Promise<void>;
}

const SCOPE = 's3-presign';

export function startTracing(settings: TraceSettings, onExportFailure: (error: Error) => void): Tracing {
  const exporter =
    settings.protocol === 'http/json'
      ? new OtlpJsonExporter({ url: settings.url })
      : new OtlpProtobufExporter({ url: settings.url });
  // OTEL_SERVICE_NAME over OTEL_RESOURCE_ATTRIBUTES' service.name over the service's own name.
  const resource = resourceFromAttributes({ 'service.name': 's3-presign' })
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(
      settings.serviceName === undefined ? null : resourceFromAttributes({ 'service.name': settings.serviceName }),
    );
  const provider = new NodeTracerProvider({
    resource,
    // Batched (OTEL_BSP_* tune it): a request never waits on the collector.
    spanProcessors: [new BatchSpanProcessor(new RedactingExporter(exporter))],
  });
  // The AsyncLocalStorage context (an S3 call's span finds its request's) and W3C trace
  // context: a caller's `traceparent` makes the request's span a child of the caller's.
  provider.register();
  const tracer = provider.getTracer(SCOPE);

  const instrumentation = new FastifyOtelInstrumentation({
    // One span per request: a span per hook and handler would be a dozen per request.
    instrumentHooks: false,
    instrumentHandler: false,
    // An exception event carries the stack trace; the error handler logs 5xx with theirs.
    recordExceptions: false,
    requestHook: nameRequestSpan,
  });
  instrumentation.setTracerProvider(provider);

  return {
    plugin: instrumentation.plugin(),
    traceS3Client: (client) => traceS3Client(client, tracer),
    async shutdown() {
      try {
        await provider.shutdown();
      } catch (error) {
        // A collector that is down must not hold up or fail the shutdown: its spans are lost.
        onExportFailure(error as Error);
      }
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** `POST /presign`, never the path as sent: it may hold anything the client put in it. */
function nameRequestSpan(
  span: {
    updateName(name: string): unknown;
    setAttribute(key: string, value: string): unknown;
    spanContext(): { traceId: string };
  },
  request: FastifyRequest,
): void {
  const route = request.routeOptions.url;
  span.updateName(route === undefined ? request.method : `${request.method} ${route}`);
  // @fastify/otel records the path with its query string; the log line's form has no values.
  span.setAttribute('url.path', pathOf(redactSecrets(loggableUrl(request.url))));
  request.traceId = span.spanContext().traceId;
}

function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * A span per command sent, around `send` (the SDK's presigner resolves the same middleware
 * stack without sending, so a middleware would also trace every URL signed).
 */
function traceS3Client(client: S3Client, tracer: Tracer): void {
  const send = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
  const traced = (command: { constructor: { name: string }; input?: { Bucket?: unknown } }, options?: unknown) => {
    const method = command.constructor.name.replace(/Command$/, '');
    const attributes: Attributes = { 'rpc.system': 'aws-api', 'rpc.service': 'S3', 'rpc.method': method };
    if (typeof command.input?.Bucket === 'string') attributes['aws.s3.bucket'] = command.input.Bucket;
    return tracer.startActiveSpan(`S3.${method}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      try {
        const output = (await send(command, options)) as { $metadata?: S3Metadata };
        recordMetadata(span, output.$metadata);
        return output;
      } catch (error) {
        const failure = error as { name?: unknown; $metadata?: S3Metadata };
        recordMetadata(span, failure.$metadata);
        // S3's error code (NoSuchUpload, AccessDenied, …), not its message.
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(failure.name ?? 'Error') });
        throw error;
      } finally {
        span.end();
      }
    });
  };
  // Only the promise form: the service never passes a callback.
  client.send = traced as typeof client.send;
}

interface S3Metadata {
  httpStatusCode?: number;
  requestId?: string;
}

function recordMetadata(
  span: { setAttribute(key: string, value: string | number): unknown },
  metadata: S3Metadata | undefined,
): void {
  if (metadata?.httpStatusCode !== undefined) span.setAttribute('http.response.status_code', metadata.httpStatusCode);
  if (metadata?.requestId !== undefined) span.setAttribute('aws.request_id', metadata.requestId);
}

/** Attributes that would hold a whole URL or its query: dropped, whatever put them there. */
const DROPPED_ATTRIBUTES = new Set(['url.full', 'url.query', 'http.url', 'http.target']);

/** Each span as exported: its strings redacted as the log lines' are (src/http/log-redaction.ts). */
class RedactingExporter implements SpanExporter {
  readonly #inner: SpanExporter;

  constructor(inner: SpanExporter) {
    this.#inner = inner;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.#inner.export(spans.map(redactedSpan), resultCallback);
  }

  shutdown(): Promise<void> {
    return this.#inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.#inner.forceFlush?.() ?? Promise.resolve();
  }
}

function redactedSpan(span: ReadableSpan): ReadableSpan {
  return {
    name: redactSecrets(span.name),
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status:
      span.status.message === undefined ? span.status : { ...span.status, message: redactSecrets(span.status.message) },
    attributes: redactedAttributes(span.attributes),
    links: span.links.map((link) => ({ ...link, attributes: redactedAttributes(link.attributes ?? {}) })),
    events: span.events.map((event) => ({ ...event, attributes: redactedAttributes(event.attributes ?? {}) })),
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}

function redactedAttributes(attributes: Attributes): Attributes {
  const redacted: Attributes = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (DROPPED_ATTRIBUTES.has(name)) continue;
    redacted[name] =
      typeof value === 'string'
        ? redactSecrets(value)
        : Array.isArray(value)
          ? ((value as unknown[]).map((item) =>
              typeof item === 'string' ? redactSecrets(item) : item,
            ) as AttributeValue)
          : value;
  }
  return redacted;
}
