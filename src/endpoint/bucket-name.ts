// Bucket names and access-point ARNs, judged the way AWS's S3 endpoint rules judge them
// (isVirtualHostableS3Bucket, parseArn), written out so the validator owns its rules.

/** S3's legacy charset: anything outside it cannot be a bucket in any partition. */
const LEGACY_BUCKET_NAME = /^[A-Za-z0-9._-]{1,255}$/;
const HOST_LABEL = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

export function isLegacyBucketName(bucket: string): boolean {
  return LEGACY_BUCKET_NAME.test(bucket);
}

function isVirtualHostableLabel(label: string): boolean {
  return (
    HOST_LABEL.test(label) &&
    label.length >= 3 &&
    label.length <= 63 &&
    label === label.toLowerCase() &&
    !IPV4.test(label)
  );
}

/**
 * Whether the bucket can be the first label(s) of a host name. Over https a dotted name
 * would break the wildcard certificate, so AWS's rules only allow dots for http endpoints.
 */
export function isVirtualHostableBucket(bucket: string, allowDots: boolean): boolean {
  if (!allowDots) return isVirtualHostableLabel(bucket);
  if (IPV4.test(bucket)) return false;
  return bucket.split('.').every(isVirtualHostableLabel);
}

export interface AccessPointArn {
  partition: string;
  region: string;
  accountId: string;
  accessPointName: string;
}

export type ParsedBucket =
  { kind: 'bucket'; name: string } | { kind: 'access-point'; arn: AccessPointArn; text: string };

export class BucketNameError extends Error {
  override name = 'BucketNameError';
}

const ARN_PART = /^[a-zA-Z0-9-]+$/;
const REGION_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/**
 * Parses a bucket parameter: a plain bucket name, or an S3 access-point ARN
 * (`arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME`, `:` or `/` before the name).
 * Outposts, Object Lambda and Multi-Region Access Point ARNs are refused: they leave the
 * pinned regional route.
 */
export function parseBucket(bucket: string): ParsedBucket {
  if (!bucket.startsWith('arn:')) {
    if (!isLegacyBucketName(bucket)) {
      throw new BucketNameError(
        `bucket "${bucket}" is not a valid S3 bucket name (1-255 of A-Z a-z 0-9 . _ -) or access-point ARN`,
      );
    }
    return { kind: 'bucket', name: bucket };
  }
  const parts = bucket.split(':');
  const [, partition, service, region, accountId, ...resourceParts] = parts;
  if (parts.length < 6 || !partition || !service) throw new BucketNameError(`"${bucket}" is not a valid ARN`);
  if (service !== 's3') {
    throw new BucketNameError(`ARN "${bucket}" is not for S3 (service "${service}")`);
  }
  const resource = resourceParts.join(':').split(/[:/]/);
  if (resource[0] !== 'accesspoint') {
    throw new BucketNameError(`ARN "${bucket}" is not an S3 access point (only access-point ARNs are supported)`);
  }
  if (!region) {
    throw new BucketNameError(`ARN "${bucket}" has no region (Multi-Region Access Points are not supported)`);
  }
  if (!REGION_LABEL.test(region)) throw new BucketNameError(`ARN "${bucket}" has an invalid region "${region}"`);
  if (!accountId || !ARN_PART.test(accountId)) {
    throw new BucketNameError(`ARN "${bucket}" has an invalid account id (a-z A-Z 0-9 -)`);
  }
  if (resource.length !== 2 || !resource[1]) {
    throw new BucketNameError(`ARN "${bucket}" must end in accesspoint/NAME with exactly one name`);
  }
  if (!ARN_PART.test(resource[1])) {
    throw new BucketNameError(`ARN "${bucket}" has an invalid access point name (a-z A-Z 0-9 -)`);
  }
  return { kind: 'access-point', arn: { partition, region, accountId, accessPointName: resource[1] }, text: bucket };
}
