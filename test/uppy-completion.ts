// The CompleteMultipartUpload document exactly as Uppy 6 writes it, by Uppy's own code
// (@uppy/aws-s3's S3mini, which its package exports do not reach: imported by file).
import { createHash } from 'node:crypto';

interface UppyS3mini {
  prototype: { _buildCompleteMultipartUploadXml(parts: ReadonlyArray<{ partNumber: number; etag: string }>): string };
}
const { default: S3mini } = (await import(
  new URL('../node_modules/@uppy/aws-s3/lib/s3-client/S3mini.js', import.meta.url).href
)) as { default: UppyS3mini };

export function uppyCompletionXml(parts: ReadonlyArray<{ partNumber: number; etag: string }>): string {
  return S3mini.prototype._buildCompleteMultipartUploadXml(parts);
}

/** Parts 1..count with S3-shaped ETags (an MD5 in hex, as Uppy sends it: without quotes). */
export function s3Parts(count: number): Array<{ partNumber: number; etag: string }> {
  return Array.from({ length: count }, (_, index) => ({
    partNumber: index + 1,
    etag: createHash('md5').update(String(index)).digest('hex'),
  }));
}
