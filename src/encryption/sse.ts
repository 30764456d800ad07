// Server-side encryption as the service decides it for every upload: one setting for all
// buckets (S3_SSE, S3_SSE_KMS_KEY_ID, S3_SSE_BUCKET_KEY) and per-bucket ones where buckets
// differ (S3_SSE_BUCKETS). What S3 refuses is refused here first, at start-up, with S3's
// reason; the presigner turns the settings into headers, the validator holds URLs to them.
export const SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;
export type SseAlgorithm = (typeof SSE_ALGORITHMS)[number];

export interface SseSettings {
  algorithm: SseAlgorithm;
  /** aws:kms and aws:kms:dsse only: the key; without it S3 uses the account's AWS managed `aws/s3` key. */
  kmsKeyId?: string | undefined;
  /** aws:kms only: S3 Bucket Keys on (true) or off (false); undefined sends no header (the bucket's default). */
  bucketKey?: boolean | undefined;
}

/** What each bucket's uploads carry: the per-bucket entries, else the default; undefined sends nothing. */
export interface EncryptionConfig {
  default: SseSettings | undefined;
  /** By allowlist entry; a null entry sends no encryption headers (the bucket's default encryption applies). */
  perBucket: ReadonlyMap<string, SseSettings | null>;
}

export const NO_ENCRYPTION: EncryptionConfig = Object.freeze({ default: undefined, perBucket: new Map() });

export function encryptionFor(encryption: EncryptionConfig, bucket: string): SseSettings | undefined {
  const own = encryption.perBucket.get(bucket);
  if (own === null) return undefined;
  return own ?? encryption.default;
}

export const SSE_HEADER = 'x-amz-server-side-encryption';
export const SSE_KMS_KEY_ID_HEADER = 'x-amz-server-side-encryption-aws-kms-key-id';
export const SSE_BUCKET_KEY_HEADER = 'x-amz-server-side-encryption-bucket-key-enabled';
export const SSE_CONTEXT_HEADER = 'x-amz-server-side-encryption-context';
/**
 * The headers (and POST form fields) S3 reads as an upload's encryption settings. Not the
 * SSE-C `x-amz-server-side-encryption-customer-*` ones, which GET and UploadPart carry too.
 */
export const SSE_HEADER_NAMES: ReadonlySet<string> = new Set([
  SSE_HEADER,
  SSE_KMS_KEY_ID_HEADER,
  SSE_BUCKET_KEY_HEADER,
  SSE_CONTEXT_HEADER,
]);

export function isKmsAlgorithm(algorithm: SseAlgorithm): boolean {
  return algorithm === 'aws:kms' || algorithm === 'aws:kms:dsse';
}

/** The headers an upload carries for these settings, by lowercase name; none without settings. */
export function sseHeaders(settings: SseSettings | undefined): Record<string, string> {
  if (settings === undefined) return {};
  const headers: Record<string, string> = { [SSE_HEADER]: settings.algorithm };
  if (settings.kmsKeyId !== undefined) headers[SSE_KMS_KEY_ID_HEADER] = settings.kmsKeyId;
  if (settings.bucketKey !== undefined) headers[SSE_BUCKET_KEY_HEADER] = String(settings.bucketKey);
  return headers;
}

/** `aws:kms with key arn:…, S3 Bucket Key on`: for messages. */
export function describeSse(settings: SseSettings | undefined): string {
  if (settings === undefined) return "no encryption headers (the bucket's default encryption applies)";
  let text: string = settings.algorithm;
  if (isKmsAlgorithm(settings.algorithm)) {
    text += settings.kmsKeyId === undefined ? ' with the AWS managed key aws/s3' : ` with key ${settings.kmsKeyId}`;
  }
  if (settings.bucketKey !== undefined) text += `, S3 Bucket Key ${settings.bucketKey ? 'on' : 'off'}`;
  return text;
}

const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const KMS_ARN = /^arn:([a-z-]+):kms:([a-z0-9-]*):(\d{12}):(key|alias)\/(.+)$/;
/** A key name an S3-compatible store's own KMS may use (MinIO's KES: `my-minio-key`). */
const STORE_KEY_NAME = /^[A-Za-z0-9._:/+=@-]{1,2048}$/;

export interface KmsKeyArn {
  partition: string;
  region: string;
  accountId: string;
  keyId: string;
}

/** The parts of `arn:PARTITION:kms:REGION:ACCOUNT:key/ID`, or undefined. */
export function parseKmsKeyArn(value: string): KmsKeyArn | undefined {
  const match = KMS_ARN.exec(value);
  if (!match || match[4] !== 'key' || !KEY_ID.test(match[5] as string)) return undefined;
  const [, partition, region, accountId, , keyId] = match as unknown as string[];
  return {
    partition: partition as string,
    region: region as string,
    accountId: accountId as string,
    keyId: keyId as string,
  };
}

/** Where the buckets are: the region and partition a KMS key must share with them. */
export interface KeyLocation {
  region: string;
  /** Undefined when the region is no AWS region (custom and local modes may use any label). */
  partition: string | undefined;
  /** An S3-compatible store (custom mode) names keys its own way: only their characters are checked. */
  storeKeyNames: boolean;
}

export interface SseSettingsProblem {
  /** The setting that holds the value S3 would refuse. */
  setting: keyof SseSettings;
  reason: string;
}

/**
 * Why S3 would refuse these settings, or why this service could not grant or check them, one
 * reason per problem; empty when they are sound.
 */
export function sseSettingsProblems(settings: SseSettings, location: KeyLocation): SseSettingsProblem[] {
  const problems: SseSettingsProblem[] = [];
  const { algorithm, kmsKeyId, bucketKey } = settings;
  if (kmsKeyId !== undefined && !isKmsAlgorithm(algorithm)) {
    problems.push({
      setting: 'kmsKeyId',
      reason: `a KMS key applies only with aws:kms or aws:kms:dsse; S3 refuses a key id with ${algorithm} (400 InvalidArgument)`,
    });
  }
  if (bucketKey !== undefined && algorithm !== 'aws:kms') {
    problems.push({
      setting: 'bucketKey',
      reason:
        algorithm === 'aws:kms:dsse'
          ? 'S3 Bucket Keys are not supported for dual-layer encryption (aws:kms:dsse)'
          : 'S3 Bucket Keys reduce the KMS requests of SSE-KMS; AES256 uses no KMS key',
    });
  }
  if (kmsKeyId !== undefined && isKmsAlgorithm(algorithm)) {
    for (const reason of kmsKeyProblems(kmsKeyId, location)) problems.push({ setting: 'kmsKeyId', reason });
  }
  return problems;
}

function kmsKeyProblems(kmsKeyId: string, location: KeyLocation): string[] {
  if (location.storeKeyNames) {
    return STORE_KEY_NAME.test(kmsKeyId) ? [] : [`"${kmsKeyId}" is not a key name the store could be sent in a header`];
  }
  const arn = parseKmsKeyArn(kmsKeyId);
  if (arn === undefined) {
    const alias = KMS_ARN.exec(kmsKeyId)?.[4] === 'alias' || kmsKeyId.startsWith('alias/');
    return [
      alias
        ? `"${kmsKeyId}" is an alias: give the key ARN it points to (aws kms describe-key --key-id ${kmsKeyId} --query KeyMetadata.Arn). S3 resolves an alias in the uploader's account and records the key ARN, IAM grants kms:GenerateDataKey and kms:Decrypt on key ARNs, and the bucket policy compares the key id as sent`
        : `"${kmsKeyId}" is not a KMS key ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/KEY-ID); a bare key id would be resolved in the uploader's account and cannot be granted by ARN`,
    ];
  }
  const problems: string[] = [];
  if (location.partition !== undefined && arn.partition !== location.partition) {
    problems.push(`the key is in partition ${arn.partition}, the buckets are in ${location.partition}`);
  }
  // S3 encrypts with a key of the bucket's own region only.
  if (arn.region !== location.region) {
    problems.push(
      `the key is in region ${arn.region}, the buckets are in ${location.region}: S3 needs a key of the bucket's region`,
    );
  }
  return problems;
}
