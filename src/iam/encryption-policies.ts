// The encryption half of the generated policies (S3_SSE*, `--kms-key-arn`), added to the
// policy set as statements of their own:
//
// - The service role may use each configured KMS key for S3 only: kms:GenerateDataKey
//   (PutObject, CreateMultipartUpload) and kms:Decrypt (GetObject, UploadPart), on the key's
//   ARN, when S3 of the pinned region calls KMS on the role's behalf (kms:ViaService) for an
//   object of these buckets (the encryption context S3 sends, kms:EncryptionContext:aws:s3:arn:
//   the object's ARN, or the bucket's with S3 Bucket Keys). The key policy must let IAM
//   policies grant it (the default key policy does).
// - The bucket policy refuses a PutObject that names another algorithm or another key, or
//   names KMS without the key. It cannot refuse one that names none: UploadPart and
//   CompleteMultipartUpload are s3:PutObject too and never carry the headers (the upload's
//   encryption was set at CreateMultipartUpload), so a "deny when missing" would refuse every
//   multipart upload. An upload that names none gets the bucket's default encryption, which
//   `s3-presign doctor` holds to the configuration.
import { isKmsAlgorithm, type SseSettings } from '../encryption/sse.js';
import type { PolicyDocument, PolicySet, PolicyStatement } from './policy-documents.js';

export const KMS_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'] as const;
const ALGORITHM_KEY = 's3:x-amz-server-side-encryption';
const KEY_ID_KEY = 's3:x-amz-server-side-encryption-aws-kms-key-id';
const CONTEXT_KEY = 'kms:EncryptionContext:aws:s3:arn';

/** One allowlist entry as the encryption statements see it. */
export interface EncryptionTarget {
  /** The allowlist entry (bucket name or access-point ARN): what its settings are keyed by. */
  entry: string;
  /** The access point whose own policy holds the refusal; undefined: the bucket policy. */
  accessPointArn: string | undefined;
  /** The objects the refusal covers: `arn:…:bucket/*`, or `…:accesspoint/NAME/object/*`. */
  objects: string;
  /** The bucket S3 names in the KMS encryption context (behind an access point: the bucket behind it). */
  bucketArn: string;
}

export function addEncryptionStatements(
  policySet: PolicySet,
  targets: readonly EncryptionTarget[],
  encryptionOf: (entry: string) => SseSettings | undefined,
  /** `s3.REGION.DNS-SUFFIX`: the service that calls KMS for S3 of the pinned region. */
  viaService: string,
): void {
  const configured = targets.flatMap((target) => {
    const settings = encryptionOf(target.entry);
    return settings === undefined ? [] : [{ target, settings }];
  });
  policySet.servicePolicy.Statement.push(...kmsGrants(configured, viaService));

  // One set of refusals per distinct setting, in the policy of the bucket (or access point).
  const groups = new Map<string, { settings: SseSettings; targets: EncryptionTarget[] }>();
  for (const { target, settings } of configured) {
    const id = JSON.stringify([target.accessPointArn ?? '', settings.algorithm, settings.kmsKeyId ?? '']);
    const group = groups.get(id) ?? { settings, targets: [] };
    group.targets.push(target);
    groups.set(id, group);
  }
  const counters = new Map<PolicyDocument, number>();
  for (const { settings, targets: members } of groups.values()) {
    const accessPointArn = members[0]?.accessPointArn;
    const document =
      accessPointArn === undefined ? policySet.bucketPolicy : policySet.accessPointPolicies?.[accessPointArn];
    if (document === undefined) continue;
    const index = (counters.get(document) ?? 0) + 1;
    counters.set(document, index);
    document.Statement.push(
      ...refusals(
        settings,
        members.map((target) => target.objects),
        index === 1 ? '' : String(index),
      ),
    );
  }
}

/** kms:GenerateDataKey and kms:Decrypt on each configured key, through S3 and these buckets only. */
function kmsGrants(
  configured: ReadonlyArray<{ target: EncryptionTarget; settings: SseSettings }>,
  viaService: string,
): PolicyStatement[] {
  const contexts = new Map<string, string[]>();
  for (const { target, settings } of configured) {
    // Without a key S3 uses the account's AWS managed key (aws/s3), whose own key policy
    // lets the account's principals use it through S3: nothing to grant.
    if (!isKmsAlgorithm(settings.algorithm) || settings.kmsKeyId === undefined) continue;
    const list = contexts.get(settings.kmsKeyId) ?? [];
    // With S3 Bucket Keys the context is the bucket's ARN, without them the object's; a bucket
    // that leaves it to its default may have either (set S3_SSE_BUCKET_KEY to narrow it).
    if (settings.bucketKey !== false) list.push(target.bucketArn);
    if (settings.bucketKey !== true) list.push(`${target.bucketArn}/*`);
    contexts.set(settings.kmsKeyId, list);
  }
  return [...contexts].map(([keyArn, context], index) => ({
    Sid: contexts.size === 1 ? 'KmsKeyThroughS3' : `KmsKeyThroughS3${index + 1}`,
    Effect: 'Allow',
    Action: [...KMS_ACTIONS],
    Resource: [keyArn],
    Condition: {
      StringEquals: { 'kms:ViaService': [viaService] },
      StringLike: { [CONTEXT_KEY]: [...new Set(context)] },
    },
  }));
}

/** The bucket-policy refusals for one setting: another algorithm, another key, KMS without the key. */
function refusals(settings: SseSettings, objects: string[], suffix: string): PolicyStatement[] {
  const deny = (sid: string, condition: NonNullable<PolicyStatement['Condition']>): PolicyStatement => ({
    Sid: `${sid}${suffix}`,
    Effect: 'Deny',
    Principal: '*',
    Action: ['s3:PutObject'],
    Resource: objects,
    Condition: condition,
  });
  // Each condition holds only when the header is there (Null false): UploadPart and
  // CompleteMultipartUpload, which send none, pass.
  const statements = [
    deny('DenyUploadsWithOtherEncryption', {
      StringNotEquals: { [ALGORITHM_KEY]: [settings.algorithm] },
      Null: { [ALGORITHM_KEY]: ['false'] },
    }),
  ];
  if (!isKmsAlgorithm(settings.algorithm)) return statements;
  if (settings.kmsKeyId === undefined) {
    statements.push(deny('DenyUploadsNamingAKmsKey', { Null: { [KEY_ID_KEY]: ['false'] } }));
    return statements;
  }
  statements.push(
    deny('DenyUploadsWithOtherKmsKey', {
      StringNotEquals: { [KEY_ID_KEY]: [settings.kmsKeyId] },
      Null: { [KEY_ID_KEY]: ['false'] },
    }),
    // KMS without a key id would use the account's aws/s3 key.
    deny('DenyKmsUploadsWithoutTheKey', {
      StringEquals: { [ALGORITHM_KEY]: [settings.algorithm] },
      Null: { [KEY_ID_KEY]: ['true'] },
    }),
  );
  return statements;
}
