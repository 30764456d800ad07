// `s3-presign upload FILE --key K`: an operator's upload of any size through the pinned
// route. Small files go up in one PUT that binds their length and checksum (CRC64NVME by
// default, where the store verifies it); larger ones as a multipart upload whose part URLs
// each bind their exact length and the part's checksum, the store computing the object's at
// completion. Every URL comes from the service's own Presigner, so each passed the validator;
// create, complete and abort go through the pinned client.
import { open, type FileHandle } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
} from '@aws-sdk/client-s3';
import {
  CHECKSUM_API_NAMES,
  CHECKSUM_FIELDS,
  CHECKSUM_MEMBERS,
  checksumOf,
  multipartChecksumType,
  singleRequestAlgorithm,
  type ChecksumAlgorithm,
  type ChecksumType,
} from '../endpoint/checksum-algorithms.js';
import { putPresigned, readRange, UploadError } from './presigned-put.js';
import { MAX_OBJECT_BYTES, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES } from '../endpoint/s3-limits.js';
import { completedEtag } from '../multipart/completed-etag.js';
import type { PresignerBundle } from '../presign/create-presigner.js';
import { sdkInputMembers } from '../presign/object-headers.js';

const MiB = 1024 * 1024;
/** Where boto3's upload_file and the AWS CLI switch to multipart, and their part size. */
export const DEFAULT_MULTIPART_THRESHOLD = 8 * MiB;
export const DEFAULT_PART_BYTES = 8 * MiB;
/** Parts in flight at once. */
const PART_CONCURRENCY = 4;

export interface UploadOptions {
  file: string;
  bucket: string;
  key: string;
  contentType: string;
  expiresIn: number;
  multipartThreshold: number;
  partSize: number;
  /** The checksum each PUT signs (the file's, or each part's); none when undefined. */
  checksumAlgorithm: ChecksumAlgorithm | undefined;
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
  /** The object's checksum as the store keeps it (it checked each PUT's value against the bytes). */
  checksum?: { algorithm: ChecksumAlgorithm; type: ChecksumType; value: string };
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
    const algorithm = options.checksumAlgorithm;
    // S3 documents MD5 for parts only: such a file goes up in parts, however small.
    const partsOnly = algorithm !== undefined && !singleRequestAlgorithm(algorithm);
    if (partsOnly && size === 0) {
      throw new UploadError(
        `--checksum-algorithm ${CHECKSUM_API_NAMES[algorithm]}: S3 documents it for the parts of a multipart upload only, and an empty file has none; choose another algorithm`,
      );
    }
    return size <= options.multipartThreshold && !partsOnly
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
  const algorithm = options.checksumAlgorithm;
  const value = algorithm === undefined ? undefined : await checksumOf(algorithm, body);
  const presigned = await signing.presigner.presign({
    operation: 'put',
    bucket: options.bucket,
    key: options.key,
    expiresIn: options.expiresIn,
    contentType: options.contentType,
    contentLength: size,
    ...(algorithm === undefined ? {} : { [CHECKSUM_FIELDS[algorithm]]: value }),
  });
  const etag = await putPresigned(presigned.url, presigned.headers, body, 'the upload', options.signal);
  options.onProgress?.(size, size, 'one PUT');
  return {
    bucket: options.bucket,
    key: options.key,
    size,
    etag,
    parts: 1,
    ...(algorithm === undefined ? {} : { checksum: { algorithm, type: 'FULL_OBJECT', value: value as string } }),
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
  const algorithm = options.checksumAlgorithm;
  const checksumType = algorithm === undefined ? undefined : multipartChecksumType(algorithm);
  const created = await client.send(
    new CreateMultipartUploadCommand({
      // The configured encryption, as the one-PUT path signs it into its URL.
      ...sdkInputMembers('create-multipart-upload', signing.presigner.serverHeaders(options.bucket)),
      Bucket: options.bucket,
      Key: options.key,
      ContentType: options.contentType,
      ...(algorithm === undefined
        ? {}
        : { ChecksumAlgorithm: CHECKSUM_API_NAMES[algorithm], ChecksumType: checksumType }),
    }),
  );
  const uploadId = created.UploadId;
  if (!uploadId) throw new UploadError('S3 started the multipart upload without an upload ID');
  try {
    const stored = new Map<number, { etag: string; checksum: string | undefined }>();
    let sent = 0;
    const report = () => options.onProgress?.(sent, size, `${stored.size}/${partCount} parts`);
    const lengthOf = (partNumber: number) => Math.min(partSize, size - (partNumber - 1) * partSize);

    // Each part's URL is signed once its bytes are read: it binds their checksum, and signing
    // here is local, so no URL waits long enough to expire.
    const queue = Array.from({ length: partCount }, (_, i) => i + 1);
    const worker = async () => {
      for (let partNumber = queue.shift(); partNumber && !options.signal?.aborted; partNumber = queue.shift()) {
        const length = lengthOf(partNumber);
        const body = await readRange(handle, (partNumber - 1) * partSize, length);
        const value = algorithm === undefined ? undefined : await checksumOf(algorithm, body);
        const {
          parts: [part],
        } = await signing.presigner.presignParts({
          bucket: options.bucket,
          key: options.key,
          uploadId,
          expiresIn: options.expiresIn,
          parts: [
            {
              partNumber,
              contentLength: length,
              checksum: algorithm === undefined ? undefined : { algorithm, value: value as string },
            },
          ],
        });
        const { url, headers } = part as { url: string; headers: Record<string, string> };
        if (options.signal?.aborted) return;
        // A part already on its way is let finish (no signal): cancelled mid-way, the store may
        // still be writing it when the abort below arrives, and S3 then keeps a part of an
        // aborted upload ("might or might not succeed", AbortMultipartUpload's documentation).
        // Ctrl-C waits for at most PART_CONCURRENCY parts; a second Ctrl-C exits at once.
        stored.set(partNumber, {
          etag: await putPresigned(url, headers, body, `part ${partNumber}`, undefined),
          checksum: value,
        });
        sent += length;
        report();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, partCount) }, worker));
    options.signal?.throwIfAborted();

    const completed = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: options.bucket,
        Key: options.key,
        UploadId: uploadId,
        MultipartUpload: {
          Parts: [...stored.entries()]
            .sort(([a], [b]) => a - b)
            .map(([PartNumber, part]) => ({
              PartNumber,
              ETag: part.etag,
              ...(algorithm === undefined ? {} : { [CHECKSUM_MEMBERS[algorithm]]: part.checksum }),
            })),
        },
      }),
    );
    const etag = await completedEtag(client, options.bucket, options.key, completed.ETag).catch((error: unknown) => {
      throw new UploadError(`the upload is complete, but ${(error as Error).message}`);
    });
    const value = algorithm === undefined ? undefined : completed[CHECKSUM_MEMBERS[algorithm]];
    return {
      bucket: options.bucket,
      key: options.key,
      size,
      etag,
      parts: partCount,
      ...(algorithm === undefined || value === undefined
        ? {}
        : { checksum: { algorithm, type: checksumType as ChecksumType, value } }),
    };
  } catch (error) {
    // Parts of an unfinished upload are stored (and billed) until aborted.
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: options.bucket, Key: options.key, UploadId: uploadId }))
      .catch(() => undefined);
    throw error;
  }
}
