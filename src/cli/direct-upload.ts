// `s3-presign upload FILE --key K`: an operator's upload of any size through the pinned
// route. Small files go up in one PUT that binds their length (and SHA-256, where the store
// verifies it); larger ones as a multipart upload whose part URLs each bind their exact
// length. Every URL comes from the service's own Presigner, so each passed the validator;
// create, complete and abort go through the pinned client.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import { putPresigned, readRange, UploadError } from './presigned-put.js';
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from '../endpoint/s3-limits.js';
import { completedEtag } from '../multipart/completed-etag.js';
import type { PresignerBundle } from '../presign/create-presigner.js';
import { sdkInputMembers } from '../presign/object-headers.js';
import type { PresignedPart } from '../presign/presigner.js';

const MiB = 1024 * 1024;
/** Where boto3's upload_file and the AWS CLI switch to multipart, and their part size. */
export const DEFAULT_MULTIPART_THRESHOLD = 8 * MiB;
export const DEFAULT_PART_BYTES = 8 * MiB;
/** Parts in flight at once, and part URLs asked for at a time (so none expires waiting). */
const PART_CONCURRENCY = 4;
const PART_URL_BATCH = 64;

export interface UploadOptions {
  file: string;
  bucket: string;
  key: string;
  contentType: string;
  expiresIn: number;
  multipartThreshold: number;
  partSize: number;
  /** Whether a single PUT signs the file's SHA-256: only where the store verifies it (S3_STORE_CHECKSUMS). */
  bindSha256: boolean;
  /** Told the bytes sent so far, after each chunk. */
  onProgress?: (sent: number, total: number, detail: string) => void;
  /** Ctrl-C: parts in flight are cancelled and the multipart upload aborted. */
  signal?: AbortSignal;
}

export interface UploadResult {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  parts: number;
  /** The SHA-256 a single PUT bound, which the store checked against the bytes. */
  checksumSha256?: string;
}

export { UploadError };

/** The part size for a file: the asked size, raised so the file fits in 10,000 parts. */
export function partSizeFor(size: number, asked: number): number {
  if (asked < MIN_PART_BYTES || asked > MAX_PART_BYTES) {
    throw new UploadError(`--part-size must be ${MIN_PART_BYTES}..${MAX_PART_BYTES} bytes (5 MiB..5 GiB)`);
  }
  return Math.max(asked, Math.ceil(size / MAX_PARTS));
}

export async function uploadFile(signing: PresignerBundle, options: UploadOptions): Promise<UploadResult> {
  const handle = await open(options.file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new UploadError(`cannot read ${options.file}: ${error.code ?? error.message}`);
  });
  try {
    const { size } = await handle.stat();
    if (size > MAX_OBJECT_BYTES) throw new UploadError(`${options.file} is larger than S3's 5 TiB object limit`);
    return size <= options.multipartThreshold
      ? await uploadWhole(signing, handle, size, options)
      : await uploadInParts(signing, handle, size, options);
  } finally {
    await handle.close();
  }
}

async function uploadWhole(
  signing: PresignerBundle,
  handle: FileHandle,
  size: number,
  options: UploadOptions,
): Promise<UploadResult> {
  const body = await readRange(handle, 0, size);
  const checksumSha256 = options.bindSha256 ? createHash('sha256').update(body).digest('base64') : undefined;
  const presigned = await signing.presigner.presign({
    operation: 'put',
    bucket: options.bucket,
    key: options.key,
    expiresIn: options.expiresIn,
    contentType: options.contentType,
    contentLength: size,
    checksumSha256,
  });
  const etag = await putPresigned(presigned.url, presigned.headers, body, 'the upload', options.signal);
  options.onProgress?.(size, size, 'one PUT');
  return {
    bucket: options.bucket,
    key: options.key,
    size,
    etag,
    parts: 1,
    ...(checksumSha256 ? { checksumSha256 } : {}),
  };
}

async function uploadInParts(
  signing: PresignerBundle,
  handle: FileHandle,
  size: number,
  options: UploadOptions,
): Promise<UploadResult> {
  const partSize = partSizeFor(size, options.partSize);
  const partCount = Math.ceil(size / partSize);
  const client = signing.s3.clientFor(options.bucket);
  const created = await client.send(
    new CreateMultipartUploadCommand({
      // The configured encryption, as the one-PUT path signs it into its URL.
      ...sdkInputMembers('create-multipart-upload', signing.presigner.serverHeaders(options.bucket)),
      Bucket: options.bucket,
      Key: options.key,
      ContentType: options.contentType,
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new UploadError('S3 started the multipart upload without an upload ID');
  try {
    const etags = new Map<number, string>();
    let sent = 0;
    const report = () => options.onProgress?.(sent, size, `${etags.size}/${partCount} parts`);
    const lengthOf = (partNumber: number) => Math.min(partSize, size - (partNumber - 1) * partSize);

    for (let first = 1; first <= partCount; first += PART_URL_BATCH) {
      const numbers = Array.from({ length: Math.min(PART_URL_BATCH, partCount - first + 1) }, (_, i) => first + i);
      const { parts } = await signing.presigner.presignParts({
        bucket: options.bucket,
        key: options.key,
        uploadId,
        expiresIn: options.expiresIn,
        parts: numbers.map((partNumber) => ({ partNumber, contentLength: lengthOf(partNumber) })),
      });
      const queue: PresignedPart[] = [...parts];
      const worker = async () => {
        for (let part = queue.shift(); part && !options.signal?.aborted; part = queue.shift()) {
          const length = lengthOf(part.partNumber);
          const body = await readRange(handle, (part.partNumber - 1) * partSize, length);
          etags.set(
            part.partNumber,
            await putPresigned(part.url, part.headers, body, `part ${part.partNumber}`, options.signal),
          );
          sent += length;
          report();
        }
      };
      await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, queue.length) }, worker));
      options.signal?.throwIfAborted();
    }

    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: options.bucket,
        Key: options.key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [...etags.entries()].sort(([a], [b]) => a - b).map(([PartNumber, ETag]) => ({ PartNumber, ETag })),
        },
      }),
    );
    const etag = await completedEtag(client, options.bucket, options.key, completed.ETag).catch((error: unknown) => {
      throw new UploadError(`the upload is complete, but ${(error as Error).message}`);
    });
    return { bucket: options.bucket, key: options.key, size, etag, parts: partCount };
  } catch (error) {
    // Parts of an unfinished upload are stored (and billed) until aborted.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}
