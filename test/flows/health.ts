// GET /healthz against a store. Run against each store by test/http/health.test.ts (embedded)
// and test/integration/rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKSUM_ALGORITHMS } from '../../src/endpoint/checksum-algorithms.js';
import { storeAddress } from '../../src/health/store-guarantees.js';
import { DEFAULT_STORE_PROBE_PREFIX, probeStore, STORE_GUARANTEES } from '../../src/health/store-probe.js';
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
      'store',
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
    const probed = report.checks.find((check: { name: string }) => check.name === 'store');
    assert.deepEqual(
      { ok: probed.ok, skipped: probed.skipped, critical: probed.critical },
      { ok: true, skipped: true, critical: false },
      'no probe recorded: nothing to report',
    );
    // Cached: a burst of probes is one round of checks.
    const again = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(again.json().checkedAt, report.checkedAt);
  });

  test("GET /healthz reports the last store probe's record, judged under this configuration", async (t) => {
    const directory = await mkdtemp(join(tmpdir(), 's3-presign-store-probe-'));
    t.after(() => rm(directory, { recursive: true, force: true }));
    const probeFile = join(directory, 'probe.json');
    const { app, config, target } = await startStoreApp(t, store, { S3_STORE_PROBE_FILE: probeFile });
    const bucket = config.buckets[0] as string;
    const probe = await probeStore({
      s3: app.signing.s3,
      bucket,
      address: storeAddress(config, bucket),
      credentials: app.signing.credentials,
      prefix: DEFAULT_STORE_PROBE_PREFIX,
    });
    await writeFile(probeFile, JSON.stringify(probe));
    const healthy = (await app.inject({ method: 'GET', url: '/healthz' })).json();
    const check = healthy.checks.find((entry: { name: string }) => entry.name === 'store');
    assert.deepEqual([healthy.status, healthy.degraded, check.ok], ['ok', [], true], check.message);
    const holding = STORE_GUARANTEES.filter((guarantee) => store.guarantees[guarantee]);
    assert.deepEqual(check.details.holds, holding);
    assert.match(
      check.message,
      new RegExp(`^probed ${probe.probedAt}: ${holding.length} of ${STORE_GUARANTEES.length} guarantees hold`),
    );

    // The same record, with every checksum claimed verified: degraded, still serving (for a
    // store that verifies every one, the claim is true and the check stays healthy).
    if (CHECKSUM_ALGORITHMS.every((algorithm) => store.guarantees[`checksum-${algorithm}`])) return;
    const claiming = await startStoreApp(
      t,
      store,
      { S3_STORE_PROBE_FILE: probeFile, S3_STORE_CHECKSUMS: 'all' },
      {},
      { target },
    );
    const degraded = await claiming.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(degraded.statusCode, 200);
    const report = degraded.json();
    assert.deepEqual([report.status, report.degraded, report.failed], ['ok', ['store'], []]);
    const claimed = report.checks.find((entry: { name: string }) => entry.name === 'store');
    assert.equal(claimed.code, 'STORE_GUARANTEE_MISSING');
    assert.match(
      claimed.message,
      /the service relies on x-amz-checksum-crc32, .*; S3_STORE_CHECKSUMS for this store: /,
    );
    assert.ok(claimed.details.failed.includes('checksum-crc64nvme'));
  });
}
