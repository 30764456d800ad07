// What `s3-presign doctor` checks (src/cli/doctor.ts prints it): the /healthz checks, plus the
// private-route checklist (the pinned route, the bucket policy, and what only an operator can
// verify by hand), and with --probe-store what the store enforces (src/health/store-probe.ts).
import { rename, writeFile } from 'node:fs/promises';
import type { Config } from '../config/config.js';
import { vpceIdOfDnsName } from '../iam/generate-policies.js';
import type { CredentialSource } from '../presign/credentials.js';
import { createPresigner } from '../presign/create-presigner.js';
import { parseBucket } from '../endpoint/bucket-name.js';
import { encryptionFor } from '../encryption/sse.js';
import { checkBucketEncryption } from './bucket-encryption-check.js';
import { checkBucketPolicy, type BucketPolicyVerdict } from './bucket-policy-check.js';
import type { HealthReport } from './endpoint-checks.js';
import { bucketPolicyItem, manualItems, routeItem, type ChecklistItem } from './private-route-checklist.js';
import { lookUpServicePrincipal, stsClient } from './service-principal.js';
import { serviceHealthCheck } from './default-bucket-health.js';
import { judgeStore, storeAddress, storeCheck, type StoreCheck, type StoreVerdict } from './store-guarantees.js';
import { probeStore, type StoreProbeReport } from './store-probe.js';

/** What `s3-presign doctor` found; src/cli/doctor.ts prints it. */
export interface DoctorFindings {
  ok: boolean;
  bucket: string;
  report: HealthReport;
  checklist: ChecklistItem[];
  store: StoreCheck;
  probed?: { report: StoreProbeReport; judged: StoreVerdict; recordedIn?: string };
  /** A probe that could not run (no credentials, a record that cannot be written). */
  probeFailure?: string;
}

export async function runDoctorChecks(
  config: Config,
  options: {
    credentials?: CredentialSource;
    env?: Readonly<Record<string, string | undefined>>;
    /** Endpoints the service's requests arrive through besides the pinned one (a Gateway endpoint). */
    vpceIds?: readonly string[];
    /** The service's role ARN, path included (`--service-role-arn`; else AWS_ROLE_ARN). */
    serviceRoleArn?: string;
    /** Probe what the store enforces, with writes under this prefix (deleted afterwards). */
    probeStore?: { prefix: string };
  },
): Promise<DoctorFindings> {
  const signing = await createPresigner(config, { credentials: options.credentials });
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
    let probed: DoctorFindings['probed'];
    // A probe that could not run is a failed line, not a stack trace; its keys are deleted
    // before it gives up.
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
    return {
      ok,
      bucket,
      report,
      checklist,
      store,
      ...(probed ? { probed } : {}),
      ...(probeFailure ? { probeFailure } : {}),
    };
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

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
