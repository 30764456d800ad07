// `s3-presign doctor`: the /healthz checks from a shell, plus the private-route checklist
// (the pinned route, the bucket policy, and what only an operator can verify by hand).
import type { Config } from '../config/config.js';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
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

export async function runDoctor(
  config: Config,
  options: {
    json: boolean;
    env?: Readonly<Record<string, string | undefined>>;
    /** Endpoints the service's requests arrive through besides the pinned one (a Gateway endpoint). */
    vpceIds?: readonly string[];
    /** The service's role ARN, path included (`--service-role-arn`; else AWS_ROLE_ARN). */
    serviceRoleArn?: string;
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
    const checklist = [
      routeItem(config.mode),
      ...(policyItem ? [policyItem] : []),
      ...encryptionItems,
      ...manualItems(config, options.env ?? {}),
    ];
    const ok = report.ok && checklist.every((item) => item.status !== 'fail');
    if (options.json) {
      process.stdout.write(`${jsonForDisplay({ ...report, ok, checklist })}\n`);
    } else {
      process.stdout.write(`s3-presign doctor: ${shown(describeMode(config.mode))}, bucket ${shown(bucket)}\n`);
      for (const check of report.checks) process.stdout.write(`${checklistLine(check)}\n`);
      for (const item of checklist) process.stdout.write(`${itemLines(item)}\n`);
      process.stdout.write(ok ? 'healthy\n' : 'unhealthy\n');
    }
    return ok ? 0 : 1;
  } finally {
    signing.close();
    sts.destroy();
  }
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

function checklistLine(check: HealthCheckResult): string {
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
