// Does the bucket's default encryption match what the service's uploads carry (S3_SSE*)?
// `s3-presign doctor` reads GetBucketEncryption through the pinned client and answers here.
// A difference is a warning, not a failure: the service's own uploads name their encryption
// and the generated bucket policy refuses other algorithms and keys, but an upload that names
// none (another writer, or any writer once S3_SSE is unset) gets the default.
import { GetBucketEncryptionCommand, type S3Client } from '@aws-sdk/client-s3';
import { describeSse, isKmsAlgorithm, parseKmsKeyArn, type SseSettings } from '../encryption/sse.js';
import type { ChecklistItem } from './private-route-checklist.js';

/** The bucket's default, as GetBucketEncryption reports it; undefined: none. */
export interface BucketDefaultEncryption {
  algorithm: string;
  /** Key ID, key ARN, alias or alias ARN, as the bucket configuration names it. */
  kmsMasterKeyId: string | undefined;
  bucketKeyEnabled: boolean;
}

const NAME = 'encryption';

function describeDefault(found: BucketDefaultEncryption): string {
  let text = found.algorithm;
  if (found.algorithm === 'aws:kms' || found.algorithm === 'aws:kms:dsse') {
    text +=
      found.kmsMasterKeyId === undefined ? ' with the AWS managed key aws/s3' : ` with key ${found.kmsMasterKeyId}`;
  }
  if (found.bucketKeyEnabled) text += ', S3 Bucket Key on';
  return text;
}

/** Whether a bucket configuration's key names the configured key ARN; undefined when it cannot tell (an alias). */
function sameKey(configured: string, named: string): boolean | undefined {
  if (named === configured) return true;
  if (named.startsWith('alias/') || /^arn:[^:]+:kms:[^:]*:\d{12}:alias\//.test(named)) return undefined;
  const arn = parseKmsKeyArn(configured);
  return arn !== undefined && named === arn.keyId;
}

/** The configured settings against the bucket's default: the checklist item doctor prints. */
export function compareBucketEncryption(
  bucket: string,
  configured: SseSettings | undefined,
  found: BucketDefaultEncryption | undefined,
): ChecklistItem {
  if (configured === undefined) {
    return {
      name: NAME,
      status: 'ok',
      message:
        found === undefined
          ? `bucket ${bucket}: no default encryption, and S3_SSE is unset`
          : `bucket ${bucket}: ${describeDefault(found)} by default, which the service's uploads get (S3_SSE is unset)`,
    };
  }
  const differences: string[] = [];
  let unknownKey: string | undefined;
  if (found === undefined || found.algorithm !== configured.algorithm) differences.push('the algorithm');
  else if (isKmsAlgorithm(configured.algorithm)) {
    if ((configured.kmsKeyId === undefined) !== (found.kmsMasterKeyId === undefined)) differences.push('the key');
    else if (configured.kmsKeyId !== undefined && found.kmsMasterKeyId !== undefined) {
      const same = sameKey(configured.kmsKeyId, found.kmsMasterKeyId);
      if (same === false) differences.push('the key');
      if (same === undefined) unknownKey = found.kmsMasterKeyId;
    }
    if (configured.bucketKey !== undefined && configured.bucketKey !== found.bucketKeyEnabled) {
      differences.push('the S3 Bucket Key');
    }
  }
  const both = `${found === undefined ? 'the bucket has no default encryption' : `the bucket encrypts with ${describeDefault(found)} by default`}, the service's uploads carry ${describeSse(configured)}`;
  if (differences.length > 0) {
    return {
      name: NAME,
      status: 'warn',
      code: 'ENCRYPTION_DEFAULT_DIFFERS',
      message: `bucket ${bucket}: ${differences.join(' and ')} differ: ${both}; an upload that names no encryption gets the default`,
      commands: [
        `aws s3api put-bucket-encryption --bucket ${bucket} --server-side-encryption-configuration '${JSON.stringify(defaultFor(configured))}'`,
      ],
    };
  }
  if (unknownKey !== undefined) {
    return {
      name: NAME,
      status: 'warn',
      code: 'ENCRYPTION_KEY_ALIAS',
      message: `bucket ${bucket}: the default names its key by the alias ${unknownKey}; check that it points to ${configured.kmsKeyId}`,
      commands: [`aws kms describe-key --key-id ${unknownKey} --query KeyMetadata.Arn --output text`],
    };
  }
  return {
    name: NAME,
    status: 'ok',
    message: `bucket ${bucket}: ${describeSse(configured)} by default, as configured`,
  };
}

/** The PutBucketEncryption document that makes the default the configured encryption. */
function defaultFor(settings: SseSettings): object {
  const byDefault: Record<string, string> = { SSEAlgorithm: settings.algorithm };
  if (settings.kmsKeyId !== undefined) byDefault.KMSMasterKeyID = settings.kmsKeyId;
  const rule: Record<string, unknown> = { ApplyServerSideEncryptionByDefault: byDefault };
  if (settings.bucketKey !== undefined) rule.BucketKeyEnabled = settings.bucketKey;
  return { Rules: [rule] };
}

/** Reads the bucket's default encryption through the pinned client and compares it; never throws. */
export async function checkBucketEncryption(
  client: S3Client,
  bucket: string,
  configured: SseSettings | undefined,
  signal?: AbortSignal,
): Promise<ChecklistItem> {
  const byHand = `aws s3api get-bucket-encryption --bucket ${bucket}`;
  let found: BucketDefaultEncryption | undefined;
  try {
    const output = await client.send(
      new GetBucketEncryptionCommand({ Bucket: bucket }),
      signal ? { abortSignal: signal } : {},
    );
    const rule = output.ServerSideEncryptionConfiguration?.Rules?.[0];
    const byDefault = rule?.ApplyServerSideEncryptionByDefault;
    if (byDefault?.SSEAlgorithm !== undefined) {
      found = {
        algorithm: byDefault.SSEAlgorithm,
        kmsMasterKeyId: byDefault.KMSMasterKeyID,
        bucketKeyEnabled: rule?.BucketKeyEnabled === true,
      };
    }
  } catch (error) {
    const name = (error as { Code?: unknown }).Code ?? (error as { name?: unknown }).name;
    // S3 has encrypted every bucket by default since 2023; S3-compatible stores may have no default.
    if (name !== 'ServerSideEncryptionConfigurationNotFoundError') {
      const reason =
        name === 'AccessDenied'
          ? 'no permission to read it (s3:GetEncryptionConfiguration)'
          : name === 'NotImplemented'
            ? 'the store does not answer GetBucketEncryption'
            : `could not read it (${String(name)})`;
      return {
        name: NAME,
        status: 'skipped',
        message: `bucket ${bucket}'s default encryption not checked: ${reason}; verify by hand that it is ${describeSse(configured)}`,
        commands: [byHand],
      };
    }
  }
  return compareBucketEncryption(bucket, configured, found);
}
