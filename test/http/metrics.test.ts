// /metrics: the series the alert rules (deploy/prometheus/) and the dashboard (deploy/grafana/)
// read, and the bound on their labels: no request can add a series of its own.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { developmentRegistry } from '../../src/auth/callers.js';
import { URL_CHECK_CODES } from '../../src/errors.js';
import { credentialSource } from '../../src/presign/credentials.js';
import { LIMIT_SIDES } from '../../src/rate-limit/limit-sides.js';
import { configFrom, startLocalApp, UNCHECKED_CREDENTIALS } from '../helpers.js';
import { parseMetrics, samplesOf, type Sample } from '../metrics-text.js';
import { prometheusMissing, promtool } from '../prometheus-tools.js';

const HEALTH_CHECKS = ['clock', 'credentials', 'dns', 'rate-limit-store', 's3', 'store', 'tcp', 'tls'];

async function scrape(app: FastifyInstance): Promise<{ text: string; samples: Sample[] }> {
  const response = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(response.statusCode, 200);
  return { text: response.body, samples: parseMetrics(response.body) };
}

/** Scrapes until `ready` holds: the first scrape only starts the health checks. */
async function scrapeUntil(app: FastifyInstance, ready: (samples: Sample[]) => boolean): Promise<Sample[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { samples } = await scrape(app);
    if (ready(samples)) return samples;
    await sleep(50);
  }
  throw new Error('the health metrics never appeared');
}

/** The service's own series: Node's default metrics (handles by type, GC by kind) come and go. */
const ownSeries = (samples: Sample[]) =>
  samples.filter((s) => s.name.startsWith('s3presign_')).map((s) => `${s.name}${JSON.stringify(s.labels)}`);

test('a fresh app exports its build, every URL check code and rate-limit table side at 0, and no health series before the first report', async (t) => {
  const { app } = await startLocalApp(t);
  const { samples } = await scrape(app);
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  assert.deepEqual(
    samplesOf(samples, 's3presign_build_info').map((s) => [s.labels, s.value]),
    [[{ version, node: process.versions.node.split('.')[0], mode: 'local' }, 1]],
  );
  const rejected = samplesOf(samples, 's3presign_urls_rejected_total');
  assert.deepEqual(rejected.map((s) => s.labels.code).sort(), [...URL_CHECK_CODES].sort());
  assert.ok(rejected.every((s) => s.value === 0));
  assert.deepEqual(
    samplesOf(samples, 's3presign_overload_refused_total').map((s) => s.value),
    [0],
  );
  assert.deepEqual(
    samplesOf(samples, 's3presign_rate_limit_table_full_total').map((s) => [s.labels.side, s.value]),
    [
      ['callers', 0],
      ['anonymous', 0],
    ],
  );
  // That first scrape started the checks; it did not wait for them.
  assert.deepEqual(samplesOf(samples, 's3presign_health_check_up'), []);
  assert.deepEqual(
    samplesOf(samples, 's3presign_health_checked_timestamp_seconds').map((s) => s.value),
    [0],
  );
  // Static keys never expire: no countdown.
  assert.deepEqual(samplesOf(samples, 's3presign_credentials_expiry_seconds'), []);
});

test('health checks become metrics on the cache’s schedule: scrapes within HEALTH_CACHE_TTL_MS share one report', async (t) => {
  // Every check must pass: the embedded store's answer in this process waits for a loaded
  // event loop, which passed the 2 s default beside other test files. A bound, not a measurement.
  const { app } = await startLocalApp(t, { HEALTH_CACHE_TTL_MS: '600000', HEALTH_TIMEOUT_MS: '30000' });
  const samples = await scrapeUntil(app, (s) => samplesOf(s, 's3presign_health_check_up').length > 0);
  const up = samplesOf(samples, 's3presign_health_check_up');
  assert.deepEqual(up.map((s) => s.labels.check).sort(), HEALTH_CHECKS);
  assert.ok(
    up.every((s) => s.value === 1),
    JSON.stringify(up),
  );
  const durations = samplesOf(samples, 's3presign_health_check_duration_seconds');
  assert.deepEqual(durations.map((s) => s.labels.check).sort(), HEALTH_CHECKS);
  assert.ok(durations.every((s) => s.value >= 0 && s.value < 60));
  const [checkedAt] = samplesOf(samples, 's3presign_health_checked_timestamp_seconds');
  assert.ok(checkedAt && checkedAt.value > 0);

  // /healthz serves the same report, and ten more scrapes do not run another.
  const report = (await app.inject({ method: 'GET', url: '/healthz' })).json();
  assert.equal(Date.parse(report.checkedAt) / 1000, checkedAt.value);
  for (let i = 0; i < 10; i++) {
    const again = samplesOf((await scrape(app)).samples, 's3presign_health_checked_timestamp_seconds');
    assert.equal(again[0]?.value, checkedAt.value);
  }
});

test('a failing check exports 0, and the credentials’ seconds to expiry count down to the scrape', async (t) => {
  const port = await closedPort();
  const config = configFrom({
    S3_ENDPOINT_MODE: 'local',
    LOCAL_S3_PORT: String(port),
    HEALTH_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'silent',
  });
  const expiration = new Date(Date.now() + 3_600_000);
  const app = await buildApp(config, {
    callers: developmentRegistry(config, '0'.repeat(64)),
    credentials: credentialSource(async () => ({ ...UNCHECKED_CREDENTIALS, expiration }), 'test-provider'),
    logger: false,
  });
  t.after(() => app.close());
  const samples = await scrapeUntil(app, (s) => samplesOf(s, 's3presign_health_check_up').length > 0);
  const state = Object.fromEntries(
    samplesOf(samples, 's3presign_health_check_up').map((s) => [s.labels.check, s.value]),
  );
  assert.equal(state.tcp, 0);
  assert.equal(state.s3, 0);
  assert.equal(state.credentials, 1);
  assert.equal(state['rate-limit-store'], 1);

  const expiry = samplesOf(samples, 's3presign_credentials_expiry_seconds');
  assert.deepEqual(
    expiry.map((s) => s.labels),
    [{ source: 'test-provider' }],
  );
  const left = (expiration.getTime() - Date.now()) / 1000;
  assert.ok(Math.abs((expiry[0]?.value ?? 0) - left) <= 2, `${expiry[0]?.value} s left, expected about ${left}`);
});

test('the request histogram counts each request under its method, route pattern and status', async (t) => {
  const { app, auth } = await startLocalApp(t);
  const count = async (labels: Record<string, string>) =>
    samplesOf((await scrape(app)).samples, 's3presign_http_request_duration_seconds_count', labels)[0]?.value ?? 0;
  const presigned = { method: 'POST', route: '/presign', status: '200' };
  const refused = { method: 'POST', route: '/presign', status: '400' };
  const unmatched = { method: 'GET', route: 'unmatched', status: '404' };
  const before = [await count(presigned), await count(refused), await count(unmatched)];
  for (let i = 0; i < 3; i++) {
    const answer = await app.inject({
      method: 'POST',
      url: '/presign',
      headers: auth,
      payload: { operation: 'get', key: `k${i}` },
    });
    assert.equal(answer.statusCode, 200);
  }
  assert.equal((await app.inject({ method: 'POST', url: '/presign', headers: auth, payload: {} })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: `/nope/${randomUUID()}` })).statusCode, 404);
  assert.deepEqual(
    [await count(presigned), await count(refused), await count(unmatched)],
    [before[0]! + 3, before[1]! + 1, before[2]! + 1],
  );
  const { samples } = await scrape(app);
  const buckets = samplesOf(samples, 's3presign_http_request_duration_seconds_bucket', presigned);
  assert.equal(buckets.at(-1)?.labels.le, '+Inf');
  assert.equal(buckets.at(-1)?.value, before[0]! + 3);
  // Cumulative: no bucket holds more than the next.
  buckets.forEach((bucket, index) => assert.ok(index === 0 || bucket.value >= buckets[index - 1]!.value));
});

test('labels stay bounded: distinct paths, query strings and refusals add no series', async (t) => {
  // The signer reads the real clock, the validator one 10 minutes behind it (as in
  // presign.test.ts): each URL is refused with URL_DATE_SKEW.
  let calls = 0;
  const { app, auth } = await startLocalApp(
    t,
    { RATE_LIMIT_MAX: '1' },
    { now: () => new Date(Date.now() - (calls++ % 2 === 0 ? 0 : 600_000)) },
  );
  const mixOfRequests = async (salt: string) => {
    await app.inject({ method: 'GET', url: `/nope/${salt}?X-Amz-Signature=${salt}` });
    await app.inject({
      method: 'POST',
      url: `/presign?${salt}=1`,
      headers: auth,
      payload: { operation: 'get', key: salt },
    });
    await app.inject({ method: 'GET', url: `/livez?${salt}` });
    await app.inject({ method: 'POST', url: '/presign', headers: { authorization: `Bearer ${salt}` }, payload: {} });
  };
  await mixOfRequests(randomUUID());
  await mixOfRequests(randomUUID());
  await scrapeUntil(app, (s) => samplesOf(s, 's3presign_health_check_up').length > 0);
  // The scrape before this one is in this one's request histogram.
  const before = ownSeries((await scrape(app)).samples);
  const salts = Array.from({ length: 25 }, () => randomUUID());
  for (const salt of salts) await mixOfRequests(salt);
  const { text, samples } = await scrape(app);

  assert.deepEqual(ownSeries(samples).sort(), before.sort(), 'the same series, whatever was asked');
  for (const salt of salts) assert.ok(!text.includes(salt), 'no part of a request reaches a label');
  // The refusals and the 429s were counted, under their bounded labels.
  assert.ok(samplesOf(samples, 's3presign_urls_rejected_total', { code: 'URL_DATE_SKEW' })[0]!.value >= 1);
  assert.ok(samplesOf(samples, 's3presign_rate_limited_total', { caller: 'local-developer' })[0]!.value >= 1);

  const allowed: Record<string, (value: string) => boolean> = {
    route: (value) =>
      value === 'unmatched' ||
      app.hasRoute({ method: 'GET', url: value }) ||
      app.hasRoute({ method: 'POST', url: value }),
    method: (value) => ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS'].includes(value),
    status: (value) => /^[1-5]\d\d$/.test(value),
    code: (value) => (URL_CHECK_CODES as readonly string[]).includes(value),
    check: (value) => HEALTH_CHECKS.includes(value),
    caller: (value) => value === 'local-developer' || value === 'anonymous',
    operation: (value) => ['get', 'put', 'post', 'multipart'].includes(value),
    outcome: (value) => ['ok', 'error', 'timeout'].includes(value),
    reason: (value) => ['error', 'timeout'].includes(value),
    policy: (value) => ['local', 'open', 'closed'].includes(value),
    side: (value) => (LIMIT_SIDES as readonly string[]).includes(value),
    le: (value) => value === '+Inf' || Number.isFinite(Number(value)),
    version: (value) => /^\d+\.\d+\.\d+/.test(value),
    node: (value) => /^\d+$/.test(value),
    mode: (value) => ['regional', 'interface', 'accelerate', 'custom', 'local'].includes(value),
  };
  for (const sample of samples.filter((s) => s.name.startsWith('s3presign_'))) {
    for (const [label, value] of Object.entries(sample.labels)) {
      const isAllowed = allowed[label];
      assert.ok(isAllowed, `${sample.name} has a label ${label} this test does not know to bound`);
      assert.ok(isAllowed(value), `${sample.name}{${label}="${value}"} is outside its bounded set`);
    }
  }
});

test('promtool check metrics finds nothing to fix in /metrics', { skip: prometheusMissing() }, async (t) => {
  const { app } = await startLocalApp(t);
  await scrapeUntil(app, (s) => samplesOf(s, 's3presign_health_check_up').length > 0);
  const { text } = await scrape(app);
  const checked = spawnSync(promtool as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
  const ours = `${checked.stdout}${checked.stderr}`.split('\n').filter((line) => line.startsWith('s3presign_'));
  assert.deepEqual(ours, [], 'promtool’s lint of the service’s own metrics');
});

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
