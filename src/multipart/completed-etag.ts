// The ETag of the object a CompleteMultipartUpload just made. S3 names it in its answer; Ceph
// RGW 16.2 answers `<ETag></ETag>`, while HeadObject shows the real one (`"…-N"`). The service's
// /multipart/complete, Uppy's and Companion's completions and the CLI's upload all report it.
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

export class MissingEtagError extends Error {}

/**
 * The answered ETag, or the stored object's. A writer who replaces the key between the two
 * calls would be reported instead: the window is one round trip, and S3 itself names no
 * version either without versioning.
 */
export async function completedEtag(
  client: S3Client,
  bucket: string,
  key: string,
  answered: string | undefined,
): Promise<string> {
  if (answered) return answered;
  let etag: string | undefined;
  try {
    etag = (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag;
  } catch (error) {
    throw new MissingEtagError('the store completed the upload but named no ETag, and reading it back failed', {
      cause: error,
    });
  }
  if (!etag) throw new MissingEtagError('the store completed the upload but names no ETag, not even on HeadObject');
  return etag;
}
