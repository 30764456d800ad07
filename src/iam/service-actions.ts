// The S3 actions this service's URLs and server-side calls are authorised as. The policies
// are generated from this one table, and the simulation tests walk it, so a flow that starts
// using another action fails there until the table (and so every policy) knows it.
import type { Operation } from '../endpoint/object-operations.js';

export interface ServiceAction {
  action: string;
  /** What S3 authorises it against: an object (`bucket/key`) or the bucket itself. */
  resource: 'object' | 'bucket';
  /** The caller operation that needs it; undefined: the service itself (health probe). */
  operation: Operation | undefined;
  /** The requests that are authorised as this action. */
  usedBy: string;
}

export const SERVICE_ACTIONS: readonly ServiceAction[] = [
  {
    action: 's3:GetObject',
    resource: 'object',
    operation: 'get',
    usedBy: 'presigned GET (/presign, /downloads); HeadObject and GetObject of the health probe',
  },
  {
    action: 's3:PutObject',
    resource: 'object',
    operation: 'put',
    usedBy:
      'presigned PUT (/presign, /uploads), POST form uploads, CreateMultipartUpload, UploadPart, CompleteMultipartUpload',
  },
  {
    action: 's3:AbortMultipartUpload',
    resource: 'object',
    operation: 'put',
    usedBy: 'AbortMultipartUpload (/multipart/abort)',
  },
  {
    action: 's3:ListMultipartUploadParts',
    resource: 'object',
    operation: 'put',
    usedBy: 'ListParts (/multipart/list, resuming an upload)',
  },
  {
    action: 's3:ListBucket',
    resource: 'bucket',
    operation: undefined,
    usedBy: 'HeadBucket of the health probe (/healthz, doctor)',
  },
];

/**
 * Not granted unless asked (`--doctor`): the service never reads its bucket policy, only
 * `s3-presign doctor` does, and the operator's own credentials usually have it.
 */
export const DOCTOR_ACTION: ServiceAction = {
  action: 's3:GetBucketPolicy',
  resource: 'bucket',
  operation: undefined,
  usedBy: 's3-presign doctor reading the bucket policy',
};

/** With `--doctor` too: `s3-presign doctor` compares the bucket's default encryption with S3_SSE*. */
export const DOCTOR_ENCRYPTION_ACTION: ServiceAction = {
  action: 's3:GetEncryptionConfiguration',
  resource: 'bucket',
  operation: undefined,
  usedBy: 's3-presign doctor reading the bucket default encryption (GetBucketEncryption)',
};

export const OBJECT_ACTIONS = SERVICE_ACTIONS.filter((entry) => entry.resource === 'object').map(
  (entry) => entry.action,
);

export function actionsFor(operation: Operation): string[] {
  return SERVICE_ACTIONS.filter((entry) => entry.operation === operation).map((entry) => entry.action);
}
