import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { developmentRegistry } from '../../src/auth/callers.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { healthFlows } from '../flows/health.js';
import { configFrom, startLocalApp, UNCHECKED_CREDENTIALS } from '../helpers.js';
import { embeddedStore } from '../stores.js';

healthFlows(embeddedStore);

test('GET /healthz is 503 naming the failed checks when the endpoint port is closed', async (t) => {
  const port = await closedPort();
  const config = configFrom({
    S3_ENDPOINT_MODE: 'local',
    LOCAL_S3_PORT: String(port),
    HEALTH_TIMEOUT_MS: '1500',
    LOG_LEVEL: 'silent',
  });
  const callers = developmentRegistry(config, '0'.repeat(64));
  const app = await buildApp(config, {
    credentials: staticCredentialSource(UNCHECKED_CREDENTIALS),
    logger: false,
    callers,
  });
  t.after(() => app.close());
  const started = Date.now();
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  const elapsed = Date.now() - started;
  assert.equal(response.statusCode, 503, response.body);
  const report = response.json();
  assert.equal(report.status, 'fail');
  assert.ok(report.failed.includes('tcp'), report.failed.join(','));
  assert.ok(report.failed.includes('s3'), report.failed.join(','));
  const tcp = report.checks.find((check: { name: string }) => check.name === 'tcp');
  assert.equal(tcp.code, 'TCP_FAILED');
  // A hang guard, not a benchmark: each check has its own 1.5 s timeout.
  assert.ok(elapsed < 15_000, `answered after ${elapsed} ms`);
});

test('GET /livez and /readyz answer 200', async (t) => {
  const { app } = await startLocalApp(t);
  for (const url of ['/livez', '/readyz']) {
    const response = await app.inject({ method: 'GET', url });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  }
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
