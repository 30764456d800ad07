// S3's refusals of multipart calls as the service's own codes: a caller's mistake is a 4xx
// naming it, never a 500. Anything else from S3 is a 502 (the store failed, not us).
import { S3ServiceException } from '@aws-sdk/client-s3';
import { AppError, type ErrorCode } from '../errors.js';

const S3_CODES: Readonly<Record<string, { code: ErrorCode; message: string }>> = {
  NoSuchUpload: { code: 'NO_SUCH_UPLOAD', message: 'S3 knows no such upload (completed, aborted or never started)' },
  InvalidPart: { code: 'INVALID_PART', message: 'S3 has no such part, or its ETag differs' },
  InvalidPartOrder: { code: 'INVALID_PART_ORDER', message: 'parts must be listed in ascending part-number order' },
  EntityTooSmall: { code: 'ENTITY_TOO_SMALL', message: 'every part but the last must be at least 5 MiB' },
  AccessDenied: { code: 'S3_ACCESS_DENIED', message: 'S3 refused the service access to this upload' },
};

export function fromS3Error(error: unknown, action: string): AppError {
  if (error instanceof AppError) return error;
  const name = error instanceof S3ServiceException ? error.name : (error as { name?: unknown } | null)?.name;
  // Own keys only: an error named "constructor" or "toString" is not one of S3's refusals.
  const known = typeof name === 'string' && Object.hasOwn(S3_CODES, name) ? S3_CODES[name] : undefined;
  if (known) return new AppError(known.code, `${action}: ${known.message}`, { cause: error });
  return new AppError('S3_REQUEST_FAILED', `${action} failed at S3`, { cause: error });
}
