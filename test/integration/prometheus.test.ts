// A real Prometheus (Debian's) on loopback scrapes two running services every second and
// evaluates the alert rules of deploy/prometheus/ every second:
//   - "healthy": the embedded S3 server and a real Redis; callers over their limit get 429.
//   - "drifting": a validator that allows no clock skew at all, so the URLs it mints are
//     refused (URL_DATE_SKEW: the refusal path end to end, from configuration alone); its
//     embedded S3 server stopped, so the tcp and s3 checks fail; its rate-limit Redis absent;
//     its credentials 12 minutes from expiry.
// Through Prometheus's HTTP API: every rule evaluates without error, the refused URL pages at
// once, the slower alerts are pending for the drifting service only, and every query of the
// Grafana dashboard returns series. The rules' timing (each `for`) is promtool's to test
// (test/deploy/prometheus-rules.test.ts): here they hold their real values.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { credentialSource } from '../../src/presign/credentials.js';
import { startLocalApp, UNCHECKED_CREDENTIALS } from '../helpers.js';
import { prometheus, prometheusMissing } from '../prometheus-tools.js';
import { freePort, redisMissing, startRedis } from '../redis-server.js';

const RULES = fileURLToPath(new URL('../../deploy/prometheus/s3-presign.rules.yaml', import.meta.url));
const DASHBOARD = new URL('../../deploy/grafana/s3-presign.json', import.meta.url);
const HEALTHY = 's3-presign-healthy';
const DRIFTING = 's3-presign-drifting';

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

/** Prometheus started on a free loopback port with its own config and data directory. */
async function startPrometheus(
  t: TestContext,
  targets: Record<string, string>,
): Promise<{
  query: (expr: string) => Promise<Series[]>;
  api: (path: string) => Promise<unknown>;
  stop: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 's3-presign-prometheus-'));
  const port = await freePort();
  const scrapeConfigs = Object.entries(targets)
    .map(([job, target]) => `  - job_name: ${job}\n    static_configs:\n      - targets: ['${target}']`)
    .join('\n');
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      `rule_files: ['${RULES}']`,
      'scrape_configs:',
      scrapeConfigs,
      '',
    ].join('\n'),
  );
  const child = spawn(
    prometheus as string,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  t.after(stop);
  const base = `http://127.0.0.1:${port}`;
  await until('Prometheus is ready', async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
    return (await fetch(`${base}/-/ready`).catch(() => undefined))?.ok === true;
  });
  const api = async (path: string) => {
    const body = (await (await fetch(`${base}/api/v1/${path}`)).json()) as {
      status: string;
      error?: string;
      data: unknown;
    };
    assert.equal(body.status, 'success', `${path}: ${body.error}`);
    return body.data;
  };
  const query = async (expr: string) =>
    ((await api(`query?${new URLSearchParams({ query: expr })}`)) as { result: Series[] }).result;
  return { query, api, stop };
}

/** Polls `condition` until it holds; Prometheus needs a few scrapes and evaluations. */
async function until(what: string, condition: () => Promise<boolean>, attempts = 120): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (await condition()) return;
    await sleep(500);
  }
  throw new Error(`gave up waiting: ${what}`);
}

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return `127.0.0.1:${port}`;
}

function presign(app: FastifyInstance, auth: { authorization: string }, operation = 'get') {
  return app.inject({ method: 'POST', url: '/presign', headers: auth, payload: { operation, key: 'report.csv' } });
}

const skip = prometheusMissing() || redisMissing();

test(
  'a real Prometheus scrapes the service: the rules evaluate, a refused URL pages, every dashboard query returns series',
  { skip },
  async (t) => {
    const redis = await startRedis(t);
    const healthy = await startLocalApp(t, {
      RATE_LIMIT_MAX: '4',
      // Wide enough that a drive's requests fall in one window however loaded the machine (at
      // 2 s, a rehearsal under load answered the fifth request 200: the window had ended).
      RATE_LIMIT_WINDOW_SECONDS: '8',
      RATE_LIMIT_REDIS_URL: redis.url,
      HEALTH_CACHE_TTL_MS: '1000',
    });
    await healthy.app.rateLimiter.connected(5000);

    // Credentials that a provider keeps handing back unrefreshed, 12 minutes from expiry.
    const expiration = new Date(Date.now() + 12 * 60_000);
    const drifting = await startLocalApp(
      t,
      {
        PRESIGN_MAX_CLOCK_SKEW: '0',
        RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
        HEALTH_CACHE_TTL_MS: '1000',
        HEALTH_TIMEOUT_MS: '500',
        LOG_LEVEL: 'fatal',
      },
      { credentials: credentialSource(async () => ({ ...UNCHECKED_CREDENTIALS, expiration }), 'test-provider') },
    );
    await drifting.s3.close();

    const { query, api, stop } = await startPrometheus(t, {
      [HEALTHY]: await listen(healthy.app),
      [DRIFTING]: await listen(drifting.app),
    });
    // A sample of each counter before the traffic: increase() counts from there.
    await until('both services scraped, their health reported', async () => {
      const reported = await query('count by (job) (s3presign_health_check_up)');
      return reported.length === 2;
    });

    // Traffic in two rounds a few scrapes apart: a counter's first sample is its baseline.
    const drive = async () => {
      for (let i = 0; i < 3; i++) assert.equal((await presign(healthy.app, healthy.auth)).statusCode, 200);
      assert.equal((await presign(healthy.app, healthy.auth, 'put')).statusCode, 200);
      for (let i = 0; i < 3; i++) assert.equal((await presign(healthy.app, healthy.auth)).statusCode, 429);
      await healthy.app.inject({ method: 'GET', url: '/nope' });
      // A zero skew allowance refuses all but a URL signed on a whole second: a few tries make a refusal certain.
      let refused = 0;
      for (let i = 0; i < 20 && refused < 3; i++) {
        const response = await presign(drifting.app, drifting.auth);
        if (response.statusCode === 500) {
          assert.equal(response.json().code, 'URL_DATE_SKEW');
          refused++;
        }
      }
      assert.equal(refused, 3, 'the drifting service refused its URLs');
    };
    await drive();
    // The window started with the drive's first request: after this, the next drive has a new one.
    await sleep(8000);
    await drive();

    const alerts = async (where: string) =>
      (await query(`ALERTS{${where}}`)).map((s) => `${s.metric.alertname} ${s.metric.job} ${s.metric.alertstate}`);
    await until('the refused URL fires at once, the slower alerts pend', async () => {
      const found = await alerts(`job="${DRIFTING}"`);
      return [
        'S3PresignUrlRefused',
        'S3PresignS3Unreachable',
        'S3PresignCredentialsExpiring',
        'S3PresignRateLimitRedisDown',
        'S3PresignHigh5xxRate',
      ].every((name) => found.some((alert) => alert.startsWith(`${name} `)));
    });
    const drifted = await query(`ALERTS{job="${DRIFTING}", alertname="S3PresignUrlRefused"}`);
    assert.deepEqual(
      drifted.map((s) => [s.metric.alertstate, s.metric.code, s.metric.severity]),
      [['firing', 'URL_DATE_SKEW', 'critical']],
    );
    const unreachable = await query(`ALERTS{job="${DRIFTING}", alertname="S3PresignS3Unreachable"}`);
    assert.deepEqual(unreachable.map((s) => s.metric.check).sort(), ['s3', 'tcp']);
    await until('the 429 rate of the healthy service pends', async () =>
      (await alerts(`job="${HEALTHY}"`)).some((alert) => alert.startsWith('S3PresignHigh429Rate ')),
    );
    // The healthy service drifts nowhere.
    assert.deepEqual(
      (await alerts(`job="${HEALTHY}"`)).filter((alert) => !alert.startsWith('S3PresignHigh429Rate ')),
      [],
    );

    // Every rule evaluates: no query error anywhere in the group.
    const rules = (await api('rules')) as {
      groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }>;
    };
    const evaluated = rules.groups.flatMap((group) => group.rules);
    assert.ok(evaluated.length >= 12);
    for (const rule of evaluated) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);

    // Every query of every dashboard panel, with Grafana's variables as a user would pick them.
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ refId: string; expr: string }> }>;
    };
    const queried: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr
          .replaceAll('$job', 's3-presign-.*')
          .replaceAll('$instance', '.+')
          .replaceAll('$__rate_interval', '5m')
          .replaceAll('$__range', '5m');
        assert.doesNotMatch(expr, /\$/, `${panel.title}: a variable the test does not fill`);
        const result = await query(expr);
        assert.ok(result.length > 0, `${panel.title} (${target.refId}) returned no series: ${expr}`);
        queried.push(`${panel.title} ${target.refId}`);
      }
    }
    assert.ok(queried.length >= 15, queried.join(', '));
    // Before the services close: a scrape in flight would hold their connections open.
    await stop();
  },
);
