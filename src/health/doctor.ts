// `s3-presign doctor`: the /healthz checks from a shell, plus the private-route checklist
// (the pinned route, the bucket policy, and what only an operator can verify by hand), and with
// --probe-store what the store enforces (src/health/store-probe.ts).
import { rename, writeFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { verifiedChecksumsSetting } from '../endpoint/checksum-algorithms.js';
import { vpceIdOfDnsName } from '../policy/generate-policies.js';
import { describeMode } from '../verify/url-validator.js';
import { createPresigner } from '../presign/create-presigner.js';
import { parseBucket } from '../endpoint/bucket-name.js';
import { encryptionFor } from '../encryption/sse.js';
import { checkBucketEncryption } from './bucket-encryption-check.js';
import { checkBucketPolicy, type BucketPolicyVerdict } from './bucket-policy-check.js';
import type { HealthCheckResult } from './checks.js';
import { bucketPolicyItem, manualItems, routeItem, type ChecklistItem } from './checklist.js';
import { lookUpServicePrincipal, stsClient } from './service-principal.js';
import { serviceHealthCheck } from './service-health.js';
import { judgeStore, storeAddress, storeCheck, type GuaranteeVerdict, type StoreVerdict } from './store-guarantees.js';
import { probeStore, type StoreProbeReport } from './store-probe.js';

export async function runDoctor(
  config: Config,
  options: {
    json: boolean;
    env?: Readonly<Record<string, string | undefined>>;
    /** Endpoints the service's requests arrive through besides the pinned one (a Gateway endpoint). */
    vpceIds?: readonly string[];
    /** The service's role ARN, path included (`--service-role-arn`; else AWS_ROLE_ARN). */
    serviceRoleArn?: string;
    /** Probe what the store enforces, with writes under this prefix (deleted afterwards). */
    probeStore?: { prefix: string };
  },
): Promise<number> {
  const signing = await createPresigner(config);
  const sts = stsClient(config.mode.region, signing.credentials.provider);
  try {
    const bucket = config.buckets[0] as string;
    const [report, policyItem, encryptionItems] = await Promise.all([
      serviceHealthCheck(config, signing)(),
      bucketPolicyCheck(config, signing.s3.clientFor(bucket), sts, bucket, {
        vpceIds: options.vpceIds ?? [],
        roleArnHint: options.serviceRoleArn ?? options.env?.AWS_ROLE_ARN,
      }),
      bucketEncryptionChecks(config, signing.s3),
    ]);
    // After the checks: a probe is a burst of writes, and they should have passed first.
    let probed: { report: StoreProbeReport; judged: StoreVerdict; recordedIn?: string } | undefined;
    // A probe that could not run (no credentials, a record that cannot be written) is a
    // failed line, not a stack trace; its keys are deleted before it gives up.
    let probeFailure: string | undefined;
    if (options.probeStore) {
      try {
        const probe = await probeStore({
          s3: signing.s3,
          bucket,
          address: storeAddress(config, bucket),
          credentials: signing.credentials,
          prefix: options.probeStore.prefix,
        });
        probed = { report: probe, judged: judgeStore(probe, config) };
        if (config.store.probeFile !== undefined) {
          await recordProbe(config.store.probeFile, probe);
          probed.recordedIn = config.store.probeFile;
        }
      } catch (error) {
        probeFailure = `${probed ? `not recorded in ${config.store.probeFile}` : 'the store probe failed'}: ${errorText(error)}`;
      }
    }
    // With a fresh probe recorded, the store check reads it back as /healthz will.
    const store = await storeCheck(config, bucket);
    const checklist = [
      routeItem(config.mode),
      ...(policyItem ? [policyItem] : []),
      ...encryptionItems,
      ...manualItems(config, options.env ?? {}),
    ];
    const ok =
      report.ok &&
      checklist.every((item) => item.status !== 'fail') &&
      store.ok &&
      probeFailure === undefined &&
      (probed === undefined || (probed.judged.ok && probed.report.cleanup.failed.length === 0));
    if (options.json) {
      process.stdout.write(
        `${jsonForDisplay({
          ...report,
          ok,
          checklist,
          store,
          ...(probed
            ? {
                storeProbe: {
                  ...probed.report,
                  verdicts: probed.judged.verdicts,
                  recommendedChecksums: probed.judged.recommendedChecksums,
                  ...(probed.recordedIn ? { recordedIn: probed.recordedIn } : {}),
                },
              }
            : {}),
          ...(probeFailure ? { storeProbeFailure: probeFailure } : {}),
        })}\n`,
      );
    } else {
      process.stdout.write(`s3-presign doctor: ${shown(describeMode(config.mode))}, bucket ${shown(bucket)}\n`);
      for (const check of report.checks) process.stdout.write(`${checklistLine(check)}\n`);
      for (const item of checklist) process.stdout.write(`${itemLines(item)}\n`);
      if (probed) process.stdout.write(probeTable(probed.report, probed.judged, config, probed.recordedIn));
      if (probeFailure) process.stdout.write(`[✗] store probe     ${shown(probeFailure)}\n`);
      // Right after a probe, a skipped store check would only repeat the table's last line.
      if (!(probed && store.skipped)) process.stdout.write(`${checklistLine({ name: 'store', ...store })}\n`);
      process.stdout.write(ok ? 'healthy\n' : 'unhealthy\n');
    }
    return ok ? 0 : 1;
  } finally {
    signing.close();
    sts.destroy();
  }
}

/** Written aside and renamed: a replica reading the file never sees half of it. */
async function recordProbe(file: string, report: StoreProbeReport): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, `${JSON.stringify(report, null, 2)}\n`);
  await rename(partial, file);
}

const VERDICT_MARKS: Record<GuaranteeVerdict['status'], string> = { ok: '[✓]', warn: '[!]', fail: '[✗]' };

/** The probe's findings as a table: guarantee, whether it holds, what the store did, what the service does. */
function probeTable(report: StoreProbeReport, judged: StoreVerdict, config: Config, recordedIn?: string): string {
  const rows = judged.verdicts.map((verdict) => [
    `${VERDICT_MARKS[verdict.status]} ${verdict.label}`,
    verdict.holds === true ? 'holds' : verdict.holds === false ? 'does not hold' : 'unknown',
    verdict.observed,
    verdict.reaction,
  ]);
  const header = ['    guarantee', 'on this store', 'what the store did', 'what the service does'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] as number)))
      .join('  ');
  const { cleanup } = report;
  const lines = [
    `store guarantees, probed under ${report.prefix} ([✓] fine as configured, [!] worth knowing, [✗] to fix):`,
    line(header),
    ...rows.map(line),
    `S3_STORE_CHECKSUMS for this store: ${judged.recommendedChecksums} (configured: ${verifiedChecksumsSetting(config.store.verifiedChecksums)})`,
    cleanup.failed.length === 0
      ? `probe keys: ${cleanup.deleted} deleted`
      : `probe keys: ${cleanup.deleted} deleted, ${cleanup.failed.length} left behind: ${cleanup.failed.map((left) => `${left.key} (${left.error})`).join(', ')}`,
    recordedIn
      ? `recorded in ${recordedIn} (S3_STORE_PROBE_FILE) for /healthz`
      : 'not recorded: set S3_STORE_PROBE_FILE to keep it for /healthz',
  ];
  return `${lines.map(shown).join('\n')}\n`;
}

/** The bucket-policy item: the policy read through the pinned client, judged for the service's own principal. */
export async function bucketPolicyCheck(
  config: Config,
  client: Parameters<typeof checkBucketPolicy>[0],
  sts: Parameters<typeof lookUpServicePrincipal>[0],
  bucket: string,
  options: { vpceIds: readonly string[]; roleArnHint: string | undefined },
): Promise<ChecklistItem | undefined> {
  const { mode } = config;
  if (mode.kind !== 'regional' && mode.kind !== 'interface') return undefined;
  const signal = AbortSignal.timeout(config.health.timeoutMs);
  const verdict: BucketPolicyVerdict = await checkBucketPolicy(
    client,
    bucket,
    {
      partition: mode.partition.name,
      ownVpceIds: [
        ...(mode.kind === 'interface' ? [vpceIdOfDnsName(mode.vpceDnsName)].filter((id) => id !== undefined) : []),
        ...options.vpceIds,
      ],
      principal: lookUpServicePrincipal(sts, options.roleArnHint, signal),
    },
    signal,
  );
  return bucketPolicyItem(verdict);
}

/** Each bucket's default encryption against the configured one; the embedded store has none to read. */
async function bucketEncryptionChecks(
  config: Config,
  s3: { clientFor(bucket: string): Parameters<typeof checkBucketEncryption>[0] },
): Promise<ChecklistItem[]> {
  if (config.mode.kind === 'local') return [];
  return Promise.all(
    config.buckets
      // An access point has no default encryption of its own: the bucket behind it does.
      .filter((bucket) => parseBucket(bucket).kind === 'bucket')
      .map((bucket) =>
        checkBucketEncryption(
          s3.clientFor(bucket),
          bucket,
          encryptionFor(config.encryption, bucket),
          AbortSignal.timeout(config.health.timeoutMs),
        ),
      ),
  );
}

function checklistLine(check: Omit<HealthCheckResult, 'name'> & { name: string }): string {
  const mark = check.skipped ? '[-]' : check.ok ? '[✓]' : '[✗]';
  const code = check.ok ? '' : ` (${check.code})`;
  return `${mark} ${check.name.padEnd(15)} ${shown(check.message)}${code}  ${Math.round(check.durationMs)} ms`;
}

const MARKS: Record<ChecklistItem['status'], string> = {
  ok: '[✓]',
  warn: '[!]',
  fail: '[✗]',
  skipped: '[-]',
  manual: '[?]',
};

function itemLines(item: ChecklistItem): string {
  const prefix = item.status === 'manual' ? 'verify by hand: ' : '';
  const code = item.code ? ` (${item.code})` : '';
  const head = `${MARKS[item.status]} ${item.name.padEnd(15)} ${prefix}${shown(item.message)}${code}`;
  return [head, ...(item.commands ?? []).map((command) => `      $ ${shown(command)}`)].join('\n');
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
