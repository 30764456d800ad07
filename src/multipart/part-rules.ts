// S3's multipart rules, checked before S3 sees a request so a caller gets a clear 400
// instead of S3's error after the bytes are sent.
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from '../endpoint/s3-limits.js';
import { AppError } from '../errors.js';

/** How the declared object splits: every part `partSize` bytes but the last. */
export interface PartLayout {
  contentLength: number;
  partSize: number;
  partCount: number;
}

/**
 * The part size a caller gets when it names none: 8 MiB, or larger when the object needs
 * more than 10,000 parts of that (rounded up to whole MiB so part boundaries stay simple).
 */
export function defaultPartSize(contentLength: number): number {
  const base = 8 * 1024 ** 2;
  const needed = Math.ceil(contentLength / MAX_PARTS / 1024 ** 2) * 1024 ** 2;
  return Math.max(base, needed);
}

/**
 * The smallest part size that keeps `contentLength` within 10,000 parts, and never under S3's
 * 5 MiB: how Uppy (5.x and 6.x) splits a file when the app sets no `getChunkSize`, so the
 * upload-client routes can sign each of its parts' exact length from the file's size alone.
 */
export function smallestPartSize(contentLength: number): number {
  return Math.max(MIN_PART_BYTES, Math.ceil(contentLength / MAX_PARTS));
}

export function partLayout(contentLength: number, partSize: number): PartLayout {
  if (contentLength > MAX_OBJECT_BYTES) {
    throw new AppError('OBJECT_TOO_LARGE', `contentLength may be at most ${MAX_OBJECT_BYTES} bytes (5 TiB)`, {
      field: 'contentLength',
    });
  }
  checkPartSize(partSize);
  // An empty object is one empty part: S3 completes it.
  const partCount = Math.max(1, Math.ceil(contentLength / partSize));
  if (partCount > MAX_PARTS) {
    throw new AppError(
      'TOO_MANY_PARTS',
      `${contentLength} bytes in parts of ${partSize} makes ${partCount} parts; S3 takes at most ${MAX_PARTS}: choose a larger partSize (at least ${Math.ceil(contentLength / MAX_PARTS)})`,
      { field: 'partSize' },
    );
  }
  return { contentLength, partSize, partCount };
}

export function checkPartSize(partSize: number): void {
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_BYTES || partSize > MAX_PART_BYTES) {
    throw new AppError(
      'INVALID_PART_SIZE',
      `partSize must be ${MIN_PART_BYTES}..${MAX_PART_BYTES} bytes (5 MiB..5 GiB)`,
      {
        field: 'partSize',
      },
    );
  }
}

/** The exact size of part `partNumber` (1-based) under the layout. */
export function sizeOfPart(layout: PartLayout, partNumber: number): number {
  return partNumber < layout.partCount
    ? layout.partSize
    : layout.contentLength - (layout.partCount - 1) * layout.partSize;
}

/** Part numbers run 1..partCount: a part past the declared layout would store past the declared size. */
export function checkPartNumber(partNumber: number, partCount: number, field: string): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > partCount) {
    throw new AppError(
      'INVALID_PART_NUMBER',
      `part number ${partNumber} is outside 1..${partCount} (this upload has that many parts)`,
      { field },
    );
  }
}
