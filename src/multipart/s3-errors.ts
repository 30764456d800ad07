// S3's refusals of multipart calls as the service's own codes: a caller's mistake is a 4xx
// naming it, never a 500. Anything else from S3 is a 502 (the store failed, not us).
import { S3ServiceException } from '@aws-sdk/client-s3';
import { AppError, type ErrorCode } from '../errors.js';

/** The S3 calls the multipart service makes through the pinned client. */
export type MultipartOperation =
  'CreateMultipartUpload' | 'ListParts' | 'CompleteMultipartUpload' | 'AbortMultipartUpload';

const ACTIONS: Readonly<Record<MultipartOperation, string>> = {
  CreateMultipartUpload: 'creating the multipart upload',
  ListParts: 'listing the parts',
  CompleteMultipartUpload: 'completing the multipart upload',
  AbortMultipartUpload: 'aborting the multipart upload',
};

const NO_SUCH_UPLOAD = {
  code: 'NO_SUCH_UPLOAD',
  message: 'S3 knows no such upload (completed, aborted or never started)',
} as const;

const S3_CODES: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  NoSuchUpload: NO_SUCH_UPLOAD,
  InvalidPart: { code: 'INVALID_PART', message: 'S3 has no such part, or its ETag differs' },
  InvalidPartOrder: { code: 'INVALID_PART_ORDER', message: 'parts must be listed in ascending part-number order' },
  EntityTooSmall: { code: 'ENTITY_TOO_SMALL', message: 'every part but the last must be at least 5 MiB' },
  AccessDenied: { code: 'S3_ACCESS_DENIED', message: 'S3 refused the service access to this upload' },
  BadDigest: { code: 'CHECKSUM_MISMATCH', message: 'the checksum sent is not the one S3 computed for the bytes' },
};

/**
 * Other stores' words for "this upload does not exist", by the one operation that says them.
 * Ceph RGW (16.2) answers ListParts on an aborted, completed or unknown upload with 404
 * `NoSuchKey` (it looks for the upload's own record, not the object), where S3 says
 * `NoSuchUpload`. ListParts reads no object, so there NoSuchKey can mean nothing else; on
 * the other operations it keeps its own meaning and stays a 502.
 */
const UPLOAD_MISSING_BY_OPERATION: Readonly<Partial<Record<MultipartOperation, ReadonlySet<string>>>> = {
  ListParts: new Set(['NoSuchKey']),
};

export function fromS3Error(error: unknown, operation: MultipartOperation): AppError {
  if (error instanceof AppError) return error;
  const action = ACTIONS[operation];
  const name = error instanceof S3ServiceException ? error.name : (error as { name?: unknown } | null)?.name;
  if (typeof name === 'string') {
    // Own keys only: an error named "constructor" or "toString" is not one of S3's refusals.
    const known = Object.hasOwn(S3_CODES, name)
      ? S3_CODES[name]
      : UPLOAD_MISSING_BY_OPERATION[operation]?.has(name)
        ? NO_SUCH_UPLOAD
        : undefined;
    if (known) return new AppError(known.code, `${action}: ${known.message}`, { cause: error });
  }
  return new AppError('S3_REQUEST_FAILED', `${action} failed at S3`, { cause: error });
}
