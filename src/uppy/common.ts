// What the upload clients' routes (Companion's shapes, Uppy 6's signer) share.
import { z } from 'zod';
import type { RouteAccess } from '../auth/route-access.js';
import {
  algorithmOfApiName,
  checksumValueDescription,
  checksumValuePattern,
  refuseMultipartOnlyAlgorithm,
  refuseUnverifiedAlgorithm,
  type ChecksumAlgorithm,
  type ChecksumApiName,
  type RequestChecksum,
} from '../endpoint/checksum-algorithms.js';
import { AppError } from '../errors.js';
import { MAX_OBJECT_BYTES } from '../endpoint/s3-limits.js';
import { presignRequestSchema } from '../presign/schemas.js';

/**
 * Frontends' routes: the service picks every key under the caller's prefix and binds its
 * limits, as for /uploads.
 */
export const UPLOAD_CLIENT_ACCESS: RouteAccess = { family: 'upload-clients', frontends: 'open' };

/** The same media-type rule as every other route that binds a content type. */
export const mediaType = presignRequestSchema.shape.contentType.unwrap();

/** What S3 stores when a client names no type, as it does itself. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * The signed headers a browser client must send with a part URL. Content-length, when
 * signed, is left out: browsers set it from the body and refuse to be told it.
 */
export function browserHeaders(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).filter(([name]) => name !== 'content-length'));
}

/**
 * A byte count as upload clients send it: a JSON number, or the decimal string Uppy makes of
 * every meta field (`metadata.size`, `metadata[size]=…`).
 */
export const declaredBytes = z
  .union(
    [
      z.number(),
      z
        .string()
        .regex(/^\d{1,20}$/)
        .transform(Number),
    ],
    {
      error: 'must be a whole number of bytes (a number, or its decimal digits)',
    },
  )
  .pipe(z.number().int().min(0).max(MAX_OBJECT_BYTES));

/** A multipart upload through an upload client's route that did not say its file's size. */
export function sizeRequired(field: string, how: string): AppError {
  return new AppError(
    'CONTENT_LENGTH_REQUIRED',
    `${field}: a multipart upload must declare its file's size, so that each part URL signs its exact length; send ${how} (see docs/upload-clients.md)`,
    { field },
  );
}

/**
 * A whole file's checksum, as Uppy's and Companion's routes take it (not theirs): both its
 * algorithm (S3's name) and its base64 value, well formed, and one the store verifies. `fields`
 * names them as the route's request does, for the errors.
 */
export function wholeFileChecksum(
  sent: { checksumAlgorithm?: ChecksumApiName | undefined; checksum?: string | undefined },
  verified: readonly ChecksumAlgorithm[],
  fields: { algorithm: string; value: string },
): RequestChecksum | undefined {
  if (sent.checksumAlgorithm === undefined && sent.checksum === undefined) return undefined;
  if (sent.checksumAlgorithm === undefined || sent.checksum === undefined) {
    throw new AppError(
      'VALIDATION_FAILED',
      `a whole-file checksum needs both ${fields.algorithm} and ${fields.value}`,
      { field: sent.checksum === undefined ? fields.value : fields.algorithm },
    );
  }
  const algorithm = algorithmOfApiName(sent.checksumAlgorithm);
  refuseMultipartOnlyAlgorithm(algorithm, fields.algorithm);
  refuseUnverifiedAlgorithm(
    algorithm,
    verified,
    fields.algorithm,
    'a signed value would not stop other bytes; send the upload without it',
  );
  if (!checksumValuePattern(algorithm).test(sent.checksum)) {
    throw new AppError('VALIDATION_FAILED', `${fields.value} ${checksumValueDescription(algorithm, 'the file')}`, {
      field: fields.value,
    });
  }
  return { algorithm, value: sent.checksum };
}
