// The bucket CORS rule the browser flows need, in the shape S3's PutBucketCors takes (and
// `aws s3api put-bucket-cors --cors-configuration` reads as JSON). The embedded store is
// configured with exactly this rule, so the browser tests prove the rule docs/bucket-cors.md tells
// operators to set on a real bucket.
import type { CORSRule } from '@aws-sdk/client-s3';
import { CHECKSUM_ALGORITHMS, CHECKSUM_MODE_HEADER, checksumHeader } from '../endpoint/checksum-algorithms.js';

/**
 * What a browser sends to S3 itself, method by method:
 * - GET, HEAD: downloads through presigned GET URLs, with x-amz-checksum-mode when the page
 *   asked for the stored checksum.
 * - PUT: single uploads and multipart parts through presigned PUT URLs. Of the headers the
 *   service signs, content-type, content-md5, the x-amz-checksum-* of each algorithm, the
 *   encryption headers (S3_SSE*), the user metadata (x-amz-meta-*) and x-amz-tagging need
 *   CORS; content-length is set by the browser and is no CORS header.
 * - POST: form uploads with a POST policy (the policy's fields travel in the form body).
 * Creating, completing, listing and aborting multipart uploads run server-side through the
 * service, so DELETE and the XML bodies of those calls need no browser access.
 */
export const BROWSER_METHODS = ['GET', 'HEAD', 'PUT', 'POST'] as const;
export const BROWSER_REQUEST_HEADERS = [
  'content-type',
  'content-md5',
  ...CHECKSUM_ALGORITHMS.map(checksumHeader),
  CHECKSUM_MODE_HEADER,
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-bucket-key-enabled',
  // Provenance, and the metadata and tags a policy allows (docs/audit-and-provenance.md).
  'x-amz-meta-*',
  'x-amz-tagging',
];
/**
 * Multipart clients read each part's ETag to complete the upload (Uppy fails with "Missing
 * ETag"); Uppy 5 reads a form upload's Location, and warns when it cannot. A page that
 * downloads in checksum mode reads the stored checksum and its type to compare.
 */
export const EXPOSED_RESPONSE_HEADERS = [
  'ETag',
  'Location',
  ...CHECKSUM_ALGORITHMS.map(checksumHeader),
  'x-amz-checksum-type',
];
/** How long a browser may cache a preflight answer. */
export const PREFLIGHT_MAX_AGE_SECONDS = 3000;

/** The one CORS rule for a bucket that browsers on `origins` upload to and download from. */
export function bucketCorsRule(origins: readonly string[]): CORSRule {
  if (origins.length === 0) throw new Error('a bucket CORS rule needs at least one origin');
  for (const origin of origins) {
    // A wildcard would let any web page the developer visits use the presigned flows' bucket.
    if (origin.includes('*')) throw new Error(`bucket CORS origins are exact, not patterns: ${origin}`);
  }
  return {
    AllowedOrigins: [...new Set(origins)],
    AllowedMethods: [...BROWSER_METHODS],
    AllowedHeaders: [...BROWSER_REQUEST_HEADERS],
    ExposeHeaders: [...EXPOSED_RESPONSE_HEADERS],
    MaxAgeSeconds: PREFLIGHT_MAX_AGE_SECONDS,
  };
}

/**
 * The origins a service listening on `port` serves its own pages (/demo) from, on loopback
 * by address and by name: a browser treats the two as different origins.
 */
export function serviceOrigins(port: number): string[] {
  return [`http://127.0.0.1:${port}`, `http://localhost:${port}`];
}
