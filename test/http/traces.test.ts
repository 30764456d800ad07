// OpenTelemetry traces, received by an OTLP/HTTP collector this test starts on loopback: one
// trace per request named by its route, the service's S3 calls as child spans of it (a
// multipart create, list and complete against the embedded store), the trace id the request's
// log line and audit events carry, and no secret in anything exported.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { auditEventSchema } from '../../src/audit/audit-event.js';
import { EXAMPLE_CREDENTIALS, startLocalApp } from '../helpers.js';

interface Received {
  path: string;
  contentType: string;
  body: Buffer;
}

/** An OTLP/HTTP receiver: keeps each export it is sent and answers as a collector does. */
async function startCollector(t: TestContext): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        contentType: request.headers['content-type'] ?? '',
        body: Buffer.concat(chunks),
      });
      const json = (request.headers['content-type'] ?? '').includes('json');
      response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      response.end(json ? '{}' : undefined);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: OtlpValue }>;
  status?: { code?: number; message?: string };
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  service: string | undefined;
}

/** The spans of OTLP's JSON encoding (`http/json`). */
function spansOf(received: readonly Received[]): Span[] {
  return received.flatMap(({ body }) => {
    const request = JSON.parse(body.toString('utf8')) as {
      resourceSpans: Array<{
        resource: { attributes: Array<{ key: string; value: OtlpValue }> };
        scopeSpans: Array<{ spans: OtlpSpan[] }>;
      }>;
    };
    return request.resourceSpans.flatMap((resourceSpans) => {
      const service = resourceSpans.resource.attributes.find((entry) => entry.key === 'service.name')?.value
        .stringValue;
      return resourceSpans.scopeSpans.flatMap((scope) =>
        scope.spans.map((span) => ({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId === '' ? undefined : span.parentSpanId,
          name: span.name,
          kind: span.kind,
          service,
          attributes: Object.fromEntries(
            span.attributes.map(({ key, value }) => [
              key,
              value.stringValue ?? (value.intValue === undefined ? value.boolValue : Number(value.intValue)),
            ]),
          ),
        })),
      );
    });
  });
}

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

test('one trace per request, the S3 calls as its children, the trace id in the log line and the audit events', async (t) => {
  const collector = await startCollector(t);
  const local = await startLocalApp(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  const { app, auth } = local;
  const post = async (url: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url, headers: auth, payload });
    assert.ok(response.statusCode < 300, `${url}: ${response.statusCode} ${response.body}`);
    return { id: String(response.headers['x-request-id'] ?? ''), body: response.json() };
  };

  const created = await post('/multipart', { filename: 'a.txt', contentType: 'text/plain', contentLength: 5 });
  const { key, uploadId } = created.body as { key: string; uploadId: string };
  const signed = await post('/multipart/parts', { key, uploadId, partNumbers: [1] });
  const [part] = signed.body.parts as Array<{ url: string; headers: Record<string, string> }>;
  const put = await fetch(part?.url ?? '', { method: 'PUT', headers: part?.headers, body: 'hello' });
  assert.equal(put.status, 200);
  const listed = await post('/multipart/list', { key, uploadId });
  const etag = (listed.body.parts as Array<{ etag: string }>)[0]?.etag ?? '';
  await post('/multipart/complete', { key, uploadId, parts: [{ partNumber: 1, etag }] });
  await app.close(); // Exports what the batch holds.

  const spans = spansOf(collector.received);
  assert.ok(collector.received.every((export_) => export_.path === '/v1/traces'));
  assert.ok(collector.received.every((export_) => export_.contentType === 'application/json'));
  const requestSpans = spans.filter((span) => span.kind === SPAN_KIND_SERVER);
  assert.deepEqual(
    requestSpans.map((span) => span.name),
    ['POST /multipart', 'POST /multipart/parts', 'POST /multipart/list', 'POST /multipart/complete'],
  );
  // One trace each, a root span each.
  assert.equal(new Set(requestSpans.map((span) => span.traceId)).size, 4);
  assert.ok(requestSpans.every((span) => span.parentSpanId === undefined));
  assert.ok(requestSpans.every((span) => span.service === 's3-presign'));
  assert.deepEqual(
    requestSpans.map((span) => [span.attributes['http.route'], span.attributes['http.response.status_code']]),
    [
      ['/multipart', 200],
      ['/multipart/parts', 200],
      ['/multipart/list', 200],
      ['/multipart/complete', 200],
    ],
  );

  const childrenOf = (name: string) => {
    const parent = requestSpans.find((span) => span.name === name);
    return spans
      .filter((span) => span.parentSpanId === parent?.spanId && span.traceId === parent?.traceId)
      .map((span) => [
        span.name,
        span.kind,
        span.attributes['aws.s3.bucket'],
        span.attributes['http.response.status_code'],
      ]);
  };
  const bucket = local.config.buckets[0];
  assert.deepEqual(childrenOf('POST /multipart'), [['S3.CreateMultipartUpload', SPAN_KIND_CLIENT, bucket, 200]]);
  // Signing part URLs asks S3 nothing.
  assert.deepEqual(childrenOf('POST /multipart/parts'), []);
  assert.deepEqual(childrenOf('POST /multipart/list'), [['S3.ListParts', SPAN_KIND_CLIENT, bucket, 200]]);
  // The part list (for the parts' checksums and sizes), then the completion.
  assert.deepEqual(childrenOf('POST /multipart/complete'), [
    ['S3.ListParts', SPAN_KIND_CLIENT, bucket, 200],
    ['S3.CompleteMultipartUpload', SPAN_KIND_CLIENT, bucket, 200],
  ]);
  // No S3 span outside a request's trace.
  assert.equal(spans.filter((span) => span.name.startsWith('S3.')).length, 4);

  // The request's log line and its audit events name the request span's trace.
  const lines = local.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  for (const [index, span] of requestSpans.entries()) {
    const reqIds = lines.filter((line) => line.msg === 'request completed' && line.traceId === span.traceId);
    assert.equal(reqIds.length, 1, `the log line of ${span.name}`);
    const events = lines
      .filter((line) => line.audit === true && line.reqId === reqIds[0]?.reqId)
      .map((line) => auditEventSchema.parse(line));
    // Every route here grants something but the part list.
    assert.equal(events.length, index === 2 ? 0 : 1, span.name);
    for (const event of events) assert.deepEqual([event.version, event.traceId], [2, span.traceId]);
  }
});

test("a caller's traceparent makes the request's span a child of the caller's, and no secret is exported", async (t) => {
  const collector = await startCollector(t);
  const local = await startLocalApp(t, {
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/path`,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_SERVICE_NAME: 'presign-test',
  });
  const { app, auth, apiKey } = local;
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const signature = 'a'.repeat(64);
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXJl';
  const presigned = await app.inject({
    method: 'POST',
    url: `/presign?X-Amz-Signature=${signature}&access_token=${token}`,
    headers: { ...auth, traceparent: `00-${callerTrace}-00f067aa0ba902b7-01` },
    payload: { operation: 'get', key: 'k' },
  });
  const url = new URL((presigned.json() as { url: string }).url);
  const urlSignature = url.searchParams.get('X-Amz-Signature') ?? '';
  assert.match(urlSignature, /^[0-9a-f]{64}$/);
  // Secrets in the path, refused: the span still ends, with its status.
  const refused = await app.inject({
    method: 'GET',
    url: `/nothing/${token}/X-Amz-Credential=${EXAMPLE_CREDENTIALS.accessKeyId}`,
  });
  assert.equal(refused.statusCode, 404);
  // The health probe's S3 calls, under the probe's request.
  const health = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(health.statusCode, 200, health.body);
  await app.close();

  assert.ok(collector.received.length > 0);
  assert.ok(collector.received.every((export_) => export_.path === '/custom/path'));
  const spans = spansOf(collector.received);
  const presignSpan = spans.find((span) => span.name === 'POST /presign');
  assert.equal(presignSpan?.traceId, callerTrace);
  assert.equal(presignSpan?.parentSpanId, '00f067aa0ba902b7');
  assert.equal(presignSpan?.service, 'presign-test');
  assert.equal(presignSpan?.attributes['url.path'], '/presign');
  assert.ok(spans.some((span) => span.name === 'GET' && span.attributes['http.response.status_code'] === 404));
  const healthSpan = spans.find((span) => span.name === 'GET /healthz');
  const probes = spans.filter((span) => span.parentSpanId === healthSpan?.spanId).map((span) => span.name);
  assert.ok(probes.includes('S3.HeadBucket'), probes.join());

  const exported = collector.received.map((export_) => export_.body.toString('utf8')).join('\n');
  const decoded = decodeURIComponent(exported);
  for (const secret of [
    signature,
    token,
    apiKey,
    urlSignature,
    EXAMPLE_CREDENTIALS.accessKeyId,
    token.split('.')[2] ?? '',
  ]) {
    assert.ok(!exported.includes(secret) && !decoded.includes(secret), `exported spans hold ${secret}`);
  }
  assert.ok(!/url\.(full|query)/.test(exported));
});

test("a collector's refusal is logged by its status, never by its body (which may echo the token sent)", async (t) => {
  // A collector (or the proxy before it) that quotes the key it refuses, as some do.
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(401, { 'content-type': 'text/plain' });
      response.end(`unknown key ${String(request.headers['x-api-key'])}`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  // The SDK reads its headers from the process's environment, not from the config.
  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=hunter2collectorkey';
  t.after(() => delete process.env.OTEL_EXPORTER_OTLP_HEADERS);
  const { app, logs } = await startLocalApp(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  await app.inject({ method: 'GET', url: '/livez' });
  await app.close();
  const failure = logs.lines
    .map((text) => JSON.parse(text) as { msg?: string; exportError?: unknown })
    .find((entry) => entry.msg === 'the last spans could not be exported');
  assert.deepEqual(failure?.exportError, { name: 'OTLPExporterError', code: 401, message: 'Unauthorized' });
  assert.ok(!logs.text.includes('hunter2collectorkey'), logs.text);
});

test('the default protocol is OTLP protobuf to the endpoint’s /v1/traces', async (t) => {
  const collector = await startCollector(t);
  const { app, logs } = await startLocalApp(t, { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/` });
  await app.inject({ method: 'GET', url: '/livez' });
  await app.close();
  const line = logs.lines
    .map((text) => JSON.parse(text) as { msg?: string; traceId?: string })
    .find((entry) => entry.msg === 'request completed');
  assert.match(line?.traceId ?? '', /^[0-9a-f]{32}$/);
  assert.ok(collector.received.length > 0);
  for (const export_ of collector.received) {
    assert.equal(export_.path, '/v1/traces');
    assert.equal(export_.contentType, 'application/x-protobuf');
  }
  // Protobuf carries the span's name as it is, and the trace id as 16 raw bytes.
  const body = Buffer.concat(collector.received.map((export_) => export_.body));
  assert.ok(body.includes(Buffer.from('GET /livez')));
  assert.ok(body.includes(Buffer.from(line?.traceId ?? '', 'hex')));
});

/** The modules a run of the app resolved, with these OTEL_* variables and no others. */
function modulesLoaded(otel: Record<string, string>): string[] {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
  const directory = mkdtempSync(join(tmpdir(), 's3-presign-module-loads-'));
  const file = join(directory, 'resolved.txt');
  try {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './test/http/module-loads.mjs', 'test/http/app-once.ts'],
      { env: { ...env, ...otel, MODULE_LOADS_FILE: file }, encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.stdout, '200\n', run.stderr);
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const OPENTELEMETRY = /\/node_modules\/@opentelemetry\/|\/node_modules\/@fastify\/otel\/|\/src\/telemetry\//;

test('with no OTEL_* variables no OpenTelemetry module is loaded; with an endpoint, they are', () => {
  const off = modulesLoaded({});
  assert.ok(
    off.some((url) => url.endsWith('/src/app.ts')),
    'the recorder sees the app load',
  );
  assert.deepEqual(
    off.filter((url) => OPENTELEMETRY.test(url)),
    [],
  );
  // Turned off explicitly, whatever else is set.
  const disabled = modulesLoaded({ OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
  assert.deepEqual(
    disabled.filter((url) => OPENTELEMETRY.test(url)),
    [],
  );
  const on = modulesLoaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
  assert.ok(on.some((url) => url.includes('/@fastify/otel/')));
  assert.ok(on.some((url) => url.includes('/@opentelemetry/sdk-trace-node/')));
});
