// GET /healthz against a store. Run against each store by test/http/health.test.ts (embedded)
// and test/integration/rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStoreApp, type TestStore } from '../stores.js';

export function healthFlows(store: TestStore): void {
  test('GET /healthz is 200 against the store, with every check listed', async (t) => {
    const { app } = await startStoreApp(t, store);
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200, response.body);
    const report = response.json();
    assert.equal(report.status, 'ok');
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.degraded, []);
    assert.deepEqual(report.checks.map((check: { name: string }) => check.name).sort(), [
      'clock',
      'credentials',
      'dns',
      'rate-limit-store',
      's3',
      'tcp',
      'tls',
    ]);
    const limits = report.checks.find((check: { name: string }) => check.name === 'rate-limit-store');
    assert.deepEqual(
      { ok: limits.ok, critical: limits.critical, store: limits.details.store },
      { ok: true, critical: false, store: 'memory' },
    );
    const s3 = report.checks.find((check: { name: string }) => check.name === 's3');
    assert.equal(s3.ok, true);
    assert.equal(s3.details.operation, 'HeadBucket', 'the store accepts HeadBucket signatures');
    // Cached: a burst of probes is one round of checks.
    const again = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(again.json().checkedAt, report.checkedAt);
  });
}
