// The store probe's own edges against the embedded store (what it finds on each store is in
// test/flows/cli.ts): a baseline the store refuses makes every finding unknown, a probe that
// fails half way still deletes what it wrote, and the record is read back strictly; and the
// verdicts, what the service does about each finding, under each configuration.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../src/config/config.js';
import { createPinnedS3, type PinnedS3 } from '../../src/endpoint/s3-client.js';
import { CHECKSUM_ALGORITHMS } from '../../src/endpoint/checksum-algorithms.js';
import { judgeStore, parseStoreProbe, storeAddress, storeCheck } from '../../src/health/store-guarantees.js';
import { probeStore, STORE_GUARANTEES, type StoreProbeReport } from '../../src/health/store-probe.js';
import { startEmbeddedS3, type EmbeddedS3 } from '../../src/local/embedded-s3.js';
import { staticCredentialSource } from '../../src/presign/credentials.js';
import { signingConfigFrom } from '../fixtures/config.js';
import { embeddedS3Client } from '../helpers.js';

const BUCKET = 'local-uploads';
let s3: EmbeddedS3;
let pinned: PinnedS3;
let owner: S3Client;
let config: Config;

function configWith(env: Record<string, string> = {}): Config {
  return signingConfigFrom({ S3_ENDPOINT_MODE: 'local', LOCAL_S3_PORT: s3.endpoint.port, S3_BUCKETS: BUCKET, ...env });
}

before(async () => {
  s3 = await startEmbeddedS3({ buckets: [BUCKET] });
  config = configWith();
  pinned = createPinnedS3(config.mode, s3.credentials);
  owner = embeddedS3Client(s3);
});
after(async () => {
  pinned.destroy();
  owner.destroy();
  await s3.close();
});

const probe = (overrides: Partial<Parameters<typeof probeStore>[0]> = {}) =>
  probeStore({
    s3: pinned,
    bucket: BUCKET,
    address: storeAddress(config, BUCKET),
    credentials: staticCredentialSource(s3.credentials),
    prefix: 'edges/',
    ...overrides,
  });

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await owner.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key as string);
}

describe('probeStore', () => {
  it('keys of one run share a prefix of their own; nothing is left under it', async () => {
    const fixed = new Date('2026-12-06T10:20:30.456Z');
    // The store's clock is the real one: a URL signed at a fixed past date would be expired,
    // so only the name is fixed here, from the first call.
    let first = true;
    const report = await probe({
      now: () => {
        if (first) {
          first = false;
          return fixed;
        }
        return new Date();
      },
    });
    assert.match(report.prefix, /^edges\/20261206T102030Z-[0-9a-f]{8}\/$/);
    assert.equal(report.probedAt, fixed.toISOString());
    assert.equal(report.address, `${s3.endpoint.origin}/${BUCKET}`);
    assert.deepEqual(
      report.findings.map((finding) => finding.guarantee),
      [...STORE_GUARANTEES],
    );
    // Two keys a checksum algorithm (the right bytes, the other bytes), 11 for the rest.
    assert.equal(report.cleanup.deleted, 11 + 2 * CHECKSUM_ALGORITHMS.length);
    assert.deepEqual(await keysUnder('edges/'), []);
  });

  it('a baseline the store refuses (other keys) makes every finding unknown, and says why', async () => {
    const report = await probe({
      // The store's own key ID with another secret: a signature it checks and refuses.
      credentials: staticCredentialSource({
        accessKeyId: s3.credentials.accessKeyId,
        secretAccessKey: 'not-the-secret',
      }),
    });
    for (const finding of report.findings) {
      assert.equal(finding.holds, undefined, finding.guarantee);
      assert.match(
        finding.observed,
        finding.guarantee.startsWith('post-')
          ? /^not found out: a form with the right file was refused \(403 SignatureDoesNotMatch\)$/
          : /^not found out: the baseline PUT \(right type and bytes\) was refused \(403 SignatureDoesNotMatch\)$/,
        finding.guarantee,
      );
    }
    const judged = judgeStore(report, config);
    assert.equal(judged.ok, false, 'a guarantee the service relies on, not found out, fails');
    assert.deepEqual(await keysUnder('edges/'), []);
  });

  it('a probe that fails half way deletes what it wrote, then fails', async () => {
    let calls = 0;
    await assert.rejects(
      probe({
        prefix: 'half-way/',
        now: () => {
          calls += 1;
          // Past the baseline and a few kinds of request: some keys are stored by now.
          if (calls > 8) throw new Error('clock gone');
          return new Date();
        },
      }),
      /clock gone/,
    );
    assert.ok(calls > 8);
    assert.deepEqual(await keysUnder('half-way/'), []);
  });
});

function reportWith(holds: (guarantee: string) => boolean | undefined): StoreProbeReport {
  return {
    version: 1,
    probedAt: '2026-12-06T10:20:30.456Z',
    address: storeAddress(config, BUCKET),
    bucket: BUCKET,
    prefix: 'p/',
    findings: STORE_GUARANTEES.map((guarantee) => ({ guarantee, holds: holds(guarantee), observed: 'seen' })),
    cleanup: { deleted: 21, failed: [] },
  };
}

describe('judgeStore: what the service does about each finding', () => {
  it('checksums: offered only where verified; a claim the store does not back fails, an unused one warns', () => {
    const sha256Only = reportWith((guarantee) => !guarantee.startsWith('checksum-') || guarantee === 'checksum-sha256');
    const statuses = (env: Record<string, string>) =>
      Object.fromEntries(
        judgeStore(sha256Only, configWith(env))
          .verdicts.filter((verdict) => verdict.guarantee.startsWith('checksum-'))
          .map((verdict) => [verdict.guarantee, verdict.status]),
      );
    assert.deepEqual(statuses({ S3_STORE_CHECKSUMS: 'sha256' }), {
      'checksum-crc32': 'ok',
      'checksum-crc32c': 'ok',
      'checksum-crc64nvme': 'ok',
      'checksum-sha1': 'ok',
      'checksum-sha256': 'ok',
      'checksum-md5': 'ok',
      'checksum-sha512': 'ok',
      'checksum-xxhash64': 'ok',
      'checksum-xxhash3': 'ok',
      'checksum-xxhash128': 'ok',
    });
    assert.deepEqual(statuses({ S3_STORE_CHECKSUMS: 'all' }), {
      'checksum-crc32': 'fail',
      'checksum-crc32c': 'fail',
      'checksum-crc64nvme': 'fail',
      'checksum-sha1': 'fail',
      'checksum-sha256': 'ok',
      'checksum-md5': 'fail',
      'checksum-sha512': 'fail',
      'checksum-xxhash64': 'fail',
      'checksum-xxhash3': 'fail',
      'checksum-xxhash128': 'fail',
    });
    assert.equal(statuses({ S3_STORE_CHECKSUMS: 'none' })['checksum-sha256'], 'warn');
    const judged = judgeStore(sha256Only, configWith({ S3_STORE_CHECKSUMS: 'none' }));
    assert.equal(judged.ok, true);
    assert.equal(judged.recommendedChecksums, 'sha256');
    assert.equal(
      judged.verdicts.find((verdict) => verdict.guarantee === 'checksum-sha256')?.reaction,
      'checksumSha256 is refused (400 CHECKSUM_NOT_VERIFIED, S3_STORE_CHECKSUMS=none) although the store verifies it: add sha256',
    );
    assert.equal(
      judgeStore(
        reportWith(() => true),
        config,
      ).recommendedChecksums,
      'all',
    );
  });

  it('type, length, form conditions and expiry are relied on: missing or unknown, each fails', () => {
    const relied = [
      'signed-content-type',
      'signed-content-length',
      'post-content-length-range',
      'post-field',
      'expiry',
    ];
    for (const guarantee of relied) {
      for (const holds of [false, undefined]) {
        const judged = judgeStore(
          reportWith((other) => (other === guarantee ? holds : true)),
          configWith({ S3_STORE_CHECKSUMS: 'all' }),
        );
        assert.equal(judged.ok, false, `${guarantee} ${holds}`);
        const verdict = judged.verdicts.find((entry) => entry.guarantee === guarantee);
        assert.equal(verdict?.status, 'fail');
        assert.match(verdict?.reaction ?? '', holds === false ? /no setting makes up for it/ : /not found out/);
      }
    }
  });

  it('Content-MD5 and the SigV4 region are not relied on: missing, they only warn', () => {
    const judged = judgeStore(
      reportWith((guarantee) => guarantee !== 'content-md5' && guarantee !== 'sigv4-region'),
      configWith({ S3_STORE_CHECKSUMS: 'all' }),
    );
    assert.equal(judged.ok, true);
    const warned = judged.verdicts.filter((verdict) => verdict.status === 'warn').map((verdict) => verdict.guarantee);
    assert.deepEqual(warned, ['content-md5', 'sigv4-region']);
  });
});

describe('storeCheck: the record /healthz reads (S3_STORE_PROBE_FILE)', () => {
  it('skipped without a file; unreadable, malformed or about another store, it fails with its code', async () => {
    assert.deepEqual(
      { ...(await storeCheck(config, BUCKET)), durationMs: 0 },
      {
        ok: true,
        skipped: true,
        durationMs: 0,
        message:
          'no store probe recorded (S3_STORE_PROBE_FILE unset): run s3-presign doctor --probe-store to find out what the store enforces',
      },
    );
    const directory = await mkdtemp(join(tmpdir(), 's3-presign-store-check-'));
    try {
      const file = join(directory, 'probe.json');
      const checked = () => storeCheck(configWith({ S3_STORE_PROBE_FILE: file }), BUCKET);
      assert.equal((await checked()).code, 'STORE_PROBE_UNREADABLE', 'no such file');
      const cases: Array<[string, RegExp]> = [
        ['{', /JSON/],
        ['null', /not a version 1 record/],
        [JSON.stringify({ ...reportWith(() => true), version: 2 }), /not a version 1 record/],
        [JSON.stringify({ ...reportWith(() => true), findings: [] }), /no finding for signed-content-type/],
        [
          JSON.stringify(reportWith(() => true)).replace('"holds":true', '"holds":"yes"'),
          /signed-content-type: holds must be true, false or absent/,
        ],
      ];
      for (const [text, message] of cases) {
        await writeFile(file, text);
        const result = await checked();
        assert.deepEqual([result.ok, result.code], [false, 'STORE_PROBE_UNREADABLE'], text);
        assert.match(result.message, message);
      }
      await writeFile(file, JSON.stringify({ ...reportWith(() => true), address: 'https://elsewhere.example/b' }));
      const elsewhere = await checked();
      assert.deepEqual([elsewhere.ok, elsewhere.code], [false, 'STORE_PROBE_MISMATCH']);
      assert.match(
        elsewhere.message,
        /^the recorded probe is of https:\/\/elsewhere\.example\/b, not http:\/\/127\.0\.0\.1:/,
      );
      await writeFile(file, JSON.stringify(reportWith(() => true)));
      const held = await checked();
      assert.equal(held.ok, true, held.message);
      assert.equal(parseStoreProbe(JSON.stringify(reportWith(() => undefined))).findings[0]?.holds, undefined);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
