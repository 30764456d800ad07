// What a caller may upload where the service picks the key (multipart uploads, form uploads):
// the put operation, its bucket, and the size and type it declares. The key needs no check
// here: it is picked under the caller's own prefix.
import { AppError, type ErrorCode } from '../errors.js';
import { contentTypeAllowed, essence, type Caller } from './caller-policy.js';

/** authorizeUpload's refusals: the caller may not put this type, this size or to this bucket. */
export const UPLOAD_AUTHORIZATION_ERRORS = [
  'OPERATION_NOT_ALLOWED',
  'BUCKET_NOT_ALLOWED',
  'CONTENT_LENGTH_NOT_ALLOWED',
  'CONTENT_TYPE_NOT_ALLOWED',
] as const satisfies readonly ErrorCode[];

/** The caller may put to this bucket, this type and, when declared, this many bytes. */
export function authorizeUpload(
  caller: Caller,
  bucket: string,
  contentType: string,
  contentLength: number | undefined,
): void {
  authorizeUploadSize(caller, bucket, contentLength);
  const { policy } = caller;
  if (!contentTypeAllowed(policy.contentTypes, contentType)) {
    throw new AppError(
      'CONTENT_TYPE_NOT_ALLOWED',
      `contentType must match ${(policy.contentTypes ?? []).join(', ')}; got ${essence(contentType)}`,
      { field: 'contentType' },
    );
  }
}

/** The caller may put to this bucket and, when declared, this many bytes. */
export function authorizeUploadSize(caller: Caller, bucket: string, contentLength: number | undefined): void {
  const { policy } = caller;
  if (!policy.operations.includes('put')) {
    throw new AppError('OPERATION_NOT_ALLOWED', `caller ${caller.id} may not put`, { field: 'operation' });
  }
  if (!policy.buckets.includes(bucket)) {
    throw new AppError('BUCKET_NOT_ALLOWED', `caller ${caller.id} may not use bucket "${bucket}"`);
  }
  if (policy.maxContentLength !== undefined && contentLength !== undefined && contentLength > policy.maxContentLength) {
    throw new AppError('CONTENT_LENGTH_NOT_ALLOWED', `contentLength may be at most ${policy.maxContentLength} bytes`, {
      field: 'contentLength',
    });
  }
}
