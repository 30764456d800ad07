// The CLI as an operator runs it against a store: `doctor` and `upload`, real processes with
// the store's keys. Run against each store by test/cli/store-commands.test.ts (embedded) and
// test/integration/rgw.test.ts (Ceph RGW).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { CHECKSUM_ALGORITHMS, checksumOf } from '../../src/endpoint/checksum-algorithms.js';
import { cli } from '../cli/run.js';
import type { StoreTarget, TestStore } from '../stores.js';

const MiB = 1024 * 1024;

/**
 * The CLI's environment for the store: its mode, endpoint and bucket, and its keys. `doctor`'s
 * checks get 20 s each rather than the 2 s default: the checks' timeouts are not these tests'
 * subject, and under load a loopback connect was seen to take 943 ms and an S3 check 2 s.
 */
export function cliEnv(target: StoreTarget): Record<string, string> {
  return {
    HEALTH_TIMEOUT_MS: '20000',
    ...target.env,
    AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
  };
}

async function fileOf(t: TestContext, bytes: Buffer): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), 's3-presign-cli-upload-'));
  t.after(() => rm(directory, { recursive: true, force: true }));
  const file = join(directory, 'payload.bin');
  await writeFile(file, bytes);
  return file;
}

export function cliFlows(store: TestStore): void {
  test('doctor: every check passes against the store (exit 0, healthy)', { timeout: 60_000 }, async (t) => {
    const target = await store.target(t);
    const result = await cli(['doctor'], cliEnv(target));
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stdout,
      /\[✓\] s3 +endpoint answered and accepted the signature|\[✓\] s3 +HeadBucket succeeded/,
    );
    assert.match(result.stdout, /\nhealthy\n$/);
  });

  test(
    'doctor --probe-store finds what the store enforces, says what the service does, and leaves no key behind',
    { timeout: 120_000 },
    async (t) => {
      const target = await store.target(t);
      const directory = await mkdtemp(join(tmpdir(), 's3-presign-store-probe-'));
      t.after(() => rm(directory, { recursive: true, force: true }));
      const probeFile = join(directory, 'probe.json');
      const env = { ...cliEnv(target), S3_STORE_PROBE_FILE: probeFile };
      const result = await cli(['doctor', '--probe-store', '--probe-prefix', 'probe area/', '--json'], env);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const report = JSON.parse(result.stdout);
      const probe = report.storeProbe;
      const found = Object.fromEntries(
        probe.findings.map((finding: { guarantee: string; holds?: boolean }) => [finding.guarantee, finding.holds]),
      );
      assert.deepEqual(found, store.guarantees);
      assert.match(probe.prefix, /^probe area\/\d{8}T\d{6}Z-[0-9a-f]{8}\/$/);
      assert.deepEqual(probe.cleanup.failed, []);
      const left = await target.client.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: 'probe area/' }));
      assert.equal(left.KeyCount, 0, 'every probe key is deleted');
      // As configured by default, the service claims nothing the store does not do.
      const verdicts = new Map(
        probe.verdicts.map((verdict: { guarantee: string; status: string; reaction: string }) => [
          verdict.guarantee,
          verdict,
        ]),
      );
      const sha256 = verdicts.get('checksum-sha256') as { status: string; reaction: string };
      assert.equal(sha256.status, 'ok');
      assert.match(
        sha256.reaction,
        store.guarantees['checksum-sha256']
          ? /^checksumSha256 is signed, and the store refuses other bytes$/
          : /^checksumSha256 is refused with 400 CHECKSUM_NOT_VERIFIED \(S3_STORE_CHECKSUMS=none\)$/,
      );
      const verifiesAll = CHECKSUM_ALGORITHMS.every((algorithm) => store.guarantees[`checksum-${algorithm}`]);
      assert.equal(probe.recommendedChecksums, verifiesAll ? 'all' : 'none');
      assert.equal(probe.recordedIn, probeFile);
      assert.deepEqual(JSON.parse(await readFile(probeFile, 'utf8')).findings, probe.findings);
      assert.equal(report.store.ok, true, report.store.message);

      // Claiming every algorithm is refused: each one the store does not verify fails, by name.
      if (verifiesAll) return;
      const claimed = await cli(['doctor', '--probe-store'], { ...env, S3_STORE_CHECKSUMS: 'all' });
      assert.equal(claimed.code, 1, claimed.stdout);
      assert.match(
        claimed.stdout,
        /\n\[✗\] x-amz-checksum-crc32 +does not hold +other bytes, same length: stored \(200\), read back as sent +checksumCrc32 is signed but not verified: S3_STORE_CHECKSUMS=all claims it; leave crc32 out\n/,
      );
      assert.match(claimed.stdout, /\nS3_STORE_CHECKSUMS for this store: none \(configured: all\)\n/);
      assert.match(claimed.stdout, /\n\[✗\] store +probed [^ ]+: the service relies on x-amz-checksum-crc32, /);
      assert.match(claimed.stdout, /\nunhealthy\n$/);
    },
  );

  test(
    'upload sends a small file in one PUT, binding its CRC64NVME where the store verifies it',
    { timeout: 60_000 },
    async (t) => {
      const target = await store.target(t);
      const bytes = randomBytes(1024);
      const file = await fileOf(t, bytes);
      const result = await cli(['upload', file, '--key', 'small.bin', '--json'], cliEnv(target));
      assert.equal(result.code, 0, result.stderr);
      const report = JSON.parse(result.stdout);
      const crc64 = await checksumOf('crc64nvme', bytes);
      // Each store as configured by default for its mode: the embedded store verifies
      // CRC64NVME (S3's default), a custom store is not taken to, and gets none.
      const verified = store.guarantees['checksum-crc64nvme'];
      assert.deepEqual(
        report.checksum,
        verified ? { algorithm: 'crc64nvme', type: 'FULL_OBJECT', value: crc64 } : undefined,
      );
      const text = await cli(['upload', file, '--key', 'small 2.bin'], cliEnv(target));
      assert.match(
        text.stdout,
        verified
          ? new RegExp(`, ETag "[0-9a-f]{32}", CRC64NVME ${crc64.replace(/[+/]/g, '\\$&')} checked by the store\n$`)
          : /, ETag "[0-9a-f]{32}"\n$/,
      );
    },
  );

  test('upload sends a 20 MiB file in parts and prints the stored ETag', { timeout: 120_000 }, async (t) => {
    const target = await store.target(t);
    const bytes = randomBytes(20 * MiB);
    const file = await fileOf(t, bytes);
    const args = ['upload', file, '--content-type', 'video/mp4', '--part-size', String(5 * MiB)];
    const result = await cli([...args, '--key', 'videos/clip 1.bin', '--json'], cliEnv(target));
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout);
    assert.deepEqual(
      { bucket: report.bucket, key: report.key, size: report.size, parts: report.parts },
      { bucket: target.bucket, key: 'videos/clip 1.bin', size: bytes.length, parts: 4 },
    );
    // Not a terminal: no progress line, stderr stays empty.
    assert.equal(result.stderr, '');

    const object = await target.client.send(new GetObjectCommand({ Bucket: target.bucket, Key: 'videos/clip 1.bin' }));
    const stored = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    assert.ok(stored.equals(bytes), 'the stored bytes are the file');
    assert.match(object.ETag ?? '', /^"[0-9a-f]{32}-4"$/, 'a multipart ETag names its part count');
    assert.equal(report.etag, object.ETag);
    assert.equal(object.ContentType, 'video/mp4');

    const text = await cli([...args, '--key', 'videos/clip 2.bin'], cliEnv(target));
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      store.guarantees['checksum-crc64nvme']
        ? new RegExp(
            `^uploaded 20971520 bytes to [^ ]+/videos/clip 2\\.bin in 4 parts, ETag "[0-9a-f]{32}-4", CRC64NVME ${(await checksumOf('crc64nvme', bytes)).replace(/[+/]/g, '\\$&')} checked by the store\n$`,
          )
        : /^uploaded 20971520 bytes to [^ ]+\/videos\/clip 2\.bin in 4 parts, ETag "[0-9a-f]{32}-4"\n$/,
    );
  });
}
