// `s3-presign upload FILE --service URL`: a multipart upload signed by a running service (its
// /multipart API, with the caller's API key or JWT), for scripts that hold a key for the
// service and no AWS credentials. Resumable: the upload's key and ID are kept in the user's
// state directory under the file's identity, and the same command again asks the service
// which parts S3 holds and sends only the others. Each part's URL signs the part's checksum
// (CRC64NVME by default), so the store refuses other bytes; it computes the object's at completion.
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { z } from 'zod';
import {
  CHECKSUM_API_NAMES,
  checksumOf,
  multipartChecksumType,
  type ChecksumAlgorithm,
  type ChecksumApiName,
  type ChecksumType,
} from '../endpoint/checksum-algorithms.js';
import { MAX_PARTS } from '../endpoint/s3-limits.js';
import { formatMiB, type Progress } from './progress.js';
import { putPresigned, readRange, UploadError } from './presigned-put.js';
import { ServiceError, type ServiceClient } from './service-client.js';
import { TransferState } from './state.js';

/**
 * Parts in flight at once; also the parts whose URLs are asked for at a time, since each URL
 * signs its part's checksum and the bytes are read and held until they are sent.
 */
const PART_CONCURRENCY = 4;

export { UploadError };

/** Ctrl-C (or another abort): what is stored, and that the state is kept for the next run. */
export class UploadInterrupted extends Error {
  constructor(
    readonly storedParts: number,
    readonly partCount: number,
    readonly storedBytes: number,
  ) {
    super('interrupted');
  }
}

export interface ServiceUploadOptions {
  file: string;
  contentType: string;
  partSize?: number;
  /** What each part signs; when `checksumNamed` is false (the default), a service that refuses it gets none. */
  checksumAlgorithm: ChecksumAlgorithm | undefined;
  checksumNamed: boolean;
  stateDirectory: string;
  progress: Progress;
  signal: AbortSignal;
}

export interface ServiceUploadResult {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  parts: number;
  /** Parts already stored by an earlier, interrupted run. */
  resumedParts: number;
  /** The object's checksum as the store computed it at completion. */
  checksum?: { algorithm: ChecksumAlgorithm; type: ChecksumType; value: string };
}

interface UploadIdentity {
  file: string;
  size: number;
  mtimeMs: number;
  service: string;
  contentType: string;
  /** Asked for: another algorithm on the next run is another upload. */
  checksumAlgorithm: ChecksumAlgorithm | null;
}

interface UploadState {
  key: string;
  uploadId: string;
  partSize: number;
  partCount: number;
  expiresAt: string;
  /** What the upload was created with (none where the service refused the default). */
  checksumAlgorithm?: ChecksumAlgorithm | undefined;
}

// The answers the CLI acts on, as the service's routes define them. A service that answers
// otherwise (another version, a proxy's page, a hostile host) is refused with what was wrong,
// before a part count or a part number it chose can drive a loop or a file offset.
const partNumber = z.number().int().min(1).max(MAX_PARTS);
const createdAnswer = z.object({
  bucket: z.string(),
  key: z.string().min(1),
  uploadId: z.string().min(1),
  partSize: z.number().int().min(1),
  partCount: z.number().int().min(1).max(MAX_PARTS),
  expiresAt: z.string(),
});
const partUrlsAnswer = z.object({
  parts: z
    .array(
      z.object({
        partNumber,
        url: z.url({ protocol: /^https?$/ }),
        headers: z.record(z.string(), z.string()),
      }),
    )
    .max(PART_CONCURRENCY),
});
const storedPartsAnswer = z.object({
  parts: z.array(z.object({ partNumber, etag: z.string(), size: z.number().int().min(0) })).max(MAX_PARTS),
});
const completedAnswer = z.object({
  bucket: z.string(),
  key: z.string(),
  etag: z.string(),
  size: z.number().int(),
  checksumAlgorithm: z.enum(Object.values(CHECKSUM_API_NAMES) as [ChecksumApiName, ...ChecksumApiName[]]).optional(),
  checksumType: z.enum(['FULL_OBJECT', 'COMPOSITE'] satisfies ChecksumType[]).optional(),
  checksum: z.string().optional(),
});

/** Parts of `partSize` that cover exactly `size` bytes, each part holding some. */
function checkLayout(upload: Pick<UploadState, 'partSize' | 'partCount'>, size: number, where: string): void {
  const { partSize, partCount } = upload;
  if (!(partSize * (partCount - 1) < size && size <= partSize * partCount)) {
    throw new ServiceError(
      `${where}: ${partCount} part(s) of ${partSize} bytes do not cover the file's ${size} bytes`,
      0,
      undefined,
    );
  }
}

async function identityOf(service: ServiceClient, options: ServiceUploadOptions) {
  const file = resolve(options.file);
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new UploadError(`cannot read ${options.file}: ${error.code ?? error.message}`);
  });
  if (!info.isFile()) throw new UploadError(`${options.file} is not a file`);
  const identity: UploadIdentity = {
    file,
    size: info.size,
    mtimeMs: info.mtimeMs,
    service: service.base,
    contentType: options.contentType,
    checksumAlgorithm: options.checksumAlgorithm ?? null,
  };
  return {
    identity,
    state: new TransferState<UploadIdentity, UploadState>(options.stateDirectory, 'upload', identity),
  };
}

export async function uploadThroughService(
  service: ServiceClient,
  options: ServiceUploadOptions,
): Promise<ServiceUploadResult> {
  const { identity, state } = await identityOf(service, options);
  const { size } = identity;
  if (size === 0) throw new UploadError(`${options.file} is empty: a multipart upload needs at least one byte`);
  const handle = await open(identity.file, 'r');
  try {
    let upload = await state.read();
    let stored = new Map<number, { etag: string; size: number }>();
    if (upload) {
      checkLayout(upload, size, `the saved state ${state.path}`);
      const listed = await listStored(service, upload, options.signal);
      if (listed) {
        stored = listed;
        options.progress.line(
          `resuming ${upload.key}: ${stored.size} of ${upload.partCount} parts already stored (state: ${state.path})`,
        );
      } else {
        options.progress.line(`the interrupted upload ${upload.key} is gone (aborted or expired): starting over`);
        await state.remove();
        upload = undefined;
      }
    }
    if (!upload) {
      options.progress.line(`starting the upload of ${formatMiB(size)}`);
      const create = (algorithm: ChecksumAlgorithm | undefined) =>
        service.post(
          '/multipart',
          {
            filename: basename(identity.file),
            contentType: options.contentType,
            contentLength: size,
            ...(options.partSize === undefined ? {} : { partSize: options.partSize }),
            ...(algorithm === undefined
              ? {}
              : { checksumAlgorithm: CHECKSUM_API_NAMES[algorithm], checksumType: multipartChecksumType(algorithm) }),
          },
          createdAnswer,
          options.signal,
        );
      let algorithm = options.checksumAlgorithm;
      let created: z.output<typeof createdAnswer>;
      try {
        created = await create(algorithm);
      } catch (error) {
        if (!(error instanceof ServiceError && error.code === 'CHECKSUM_NOT_VERIFIED' && !options.checksumNamed)) {
          throw error;
        }
        options.progress.line(
          `the service's store does not verify ${CHECKSUM_API_NAMES[algorithm as ChecksumAlgorithm]}: uploading without a checksum`,
        );
        algorithm = undefined;
        created = await create(undefined);
      }
      checkLayout(created, size, `the service at ${service.base} answered /multipart`);
      upload = {
        key: created.key,
        uploadId: created.uploadId,
        partSize: created.partSize,
        partCount: created.partCount,
        expiresAt: created.expiresAt,
        checksumAlgorithm: algorithm,
      };
      await state.write(upload);
    }
    const current = upload;
    const algorithm = current.checksumAlgorithm;
    const lengthOf = (partNumber: number) => Math.min(current.partSize, size - (partNumber - 1) * current.partSize);
    // A part S3 holds with another length (a different file under the same name) is sent again.
    for (const [partNumber, part] of stored) {
      if (part.size !== lengthOf(partNumber)) stored.delete(partNumber);
    }
    const resumedParts = stored.size;
    const missing = Array.from({ length: current.partCount }, (_, i) => i + 1).filter((n) => !stored.has(n));
    let sent = [...stored.keys()].reduce((total, n) => total + lengthOf(n), 0);
    const report = () => options.progress.bytes(sent, size, `${stored.size}/${current.partCount} parts`);
    report();

    try {
      for (let first = 0; first < missing.length && !options.signal.aborted; first += PART_CONCURRENCY) {
        const batch = await Promise.all(
          missing.slice(first, first + PART_CONCURRENCY).map(async (partNumber) => {
            const body = await readRange(handle, (partNumber - 1) * current.partSize, lengthOf(partNumber));
            return { partNumber, body, checksum: algorithm && (await checksumOf(algorithm, body)) };
          }),
        );
        const { parts } = await service.post(
          '/multipart/parts',
          {
            key: current.key,
            uploadId: current.uploadId,
            partNumbers: batch.map((part) => part.partNumber),
            ...(algorithm && {
              checksums: batch.map((part) => ({ partNumber: part.partNumber, value: part.checksum })),
            }),
          },
          partUrlsAnswer,
          options.signal,
        );
        const bodies = new Map(batch.map((part) => [part.partNumber, part.body]));
        const answered = new Set(parts.map((part) => part.partNumber));
        if (answered.size !== bodies.size || parts.some((part) => !bodies.has(part.partNumber))) {
          throw new ServiceError(
            `the service at ${service.base} answered /multipart/parts with other parts than the ${bodies.size} asked for`,
            0,
            undefined,
          );
        }
        await Promise.all(
          parts.map(async (part) => {
            const body = bodies.get(part.partNumber) as Buffer;
            const etag = await putPresigned(part.url, part.headers, body, `part ${part.partNumber}`, options.signal);
            stored.set(part.partNumber, { etag, size: body.length });
            sent += body.length;
            options.progress.line(`part ${part.partNumber} of ${current.partCount} stored`);
            report();
          }),
        );
      }
      if (options.signal.aborted) throw options.signal.reason;
    } catch (error) {
      if (options.signal.aborted) throw new UploadInterrupted(stored.size, current.partCount, sent);
      throw error;
    }

    const assembling = options.progress.waiting(
      `completing: the store assembles ${current.partCount} parts (${formatMiB(size)})`,
    );
    let completed: z.output<typeof completedAnswer>;
    try {
      completed = await service.post(
        '/multipart/complete',
        {
          key: current.key,
          uploadId: current.uploadId,
          parts: [...stored.entries()]
            .sort(([a], [b]) => a - b)
            .map(([partNumber, part]) => ({ partNumber, etag: part.etag })),
        },
        completedAnswer,
        options.signal,
      );
    } catch (error) {
      if (options.signal.aborted) throw new UploadInterrupted(stored.size, current.partCount, sent);
      throw error;
    } finally {
      assembling.stop();
    }
    await state.remove();
    if (completed.size !== size) {
      throw new UploadError(`the service completed ${completed.key} with ${completed.size} bytes, not ${size}`);
    }
    return {
      bucket: completed.bucket,
      key: completed.key,
      size: completed.size,
      etag: completed.etag,
      parts: current.partCount,
      resumedParts,
      ...(algorithm !== undefined && completed.checksum !== undefined && completed.checksumType !== undefined
        ? { checksum: { algorithm, type: completed.checksumType, value: completed.checksum } }
        : {}),
    };
  } finally {
    await handle.close();
  }
}

/** `--abort`: the interrupted upload of this file is aborted at the service and forgotten. */
export async function abortThroughService(
  service: ServiceClient,
  options: ServiceUploadOptions,
): Promise<{ key: string } | undefined> {
  const { state } = await identityOf(service, options);
  const upload = await state.read();
  if (!upload) return undefined;
  try {
    await service.post('/multipart/abort', { key: upload.key, uploadId: upload.uploadId }, z.unknown(), options.signal);
  } catch (error) {
    // Already gone (aborted, completed or expired): nothing left to discard but the state.
    if (!(error instanceof ServiceError && (error.status === 404 || error.status === 410))) throw error;
  }
  await state.remove();
  return { key: upload.key };
}

/** The parts S3 holds, or undefined when the upload is gone (aborted, expired, completed). */
async function listStored(
  service: ServiceClient,
  upload: UploadState,
  signal: AbortSignal,
): Promise<Map<number, { etag: string; size: number }> | undefined> {
  try {
    const { parts } = await service.post(
      '/multipart/list',
      { key: upload.key, uploadId: upload.uploadId },
      storedPartsAnswer,
      signal,
    );
    return new Map(parts.map((part) => [part.partNumber, { etag: part.etag, size: part.size }]));
  } catch (error) {
    if (error instanceof ServiceError && (error.status === 404 || error.status === 410)) return undefined;
    throw error;
  }
}
