// What the CLI's two uploads share (with AWS credentials, src/cli/direct-upload.ts;
// through the service, ./service-upload.ts): reading a part of the file, and sending it to a
// presigned URL with retries.
import type { FileHandle } from 'node:fs/promises';
import { s3ErrorCode } from '../endpoint/bounded-body.js';
import { storeRedirectRefusal } from './redirect.js';

/** Tries per PUT: a dropped connection or a 5xx is tried again, a 4xx never. */
const PUT_ATTEMPTS = 3;

/** An upload that cannot go on, with a message for the user (no stack trace). */
export class UploadError extends Error {}

/** `length` bytes of the file from `position`; the file must not shrink meanwhile. */
export async function readRange(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new UploadError('the file became shorter while it was being uploaded');
    filled += bytesRead;
  }
  return buffer;
}

/** One PUT of `what` (the upload, part N), again after a dropped connection or a 5xx; returns S3's ETag. */
export async function putPresigned(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  what: string,
  signal: AbortSignal | undefined,
): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    let failure: string;
    try {
      // Followed, a redirect would send the file's bytes to a host no one validated.
      const response = await fetch(url, { method: 'PUT', headers, body, signal, redirect: 'manual' });
      const redirect = await storeRedirectRefusal(response, what);
      if (redirect !== undefined) throw new UploadError(redirect);
      if (response.ok) {
        await response.body?.cancel();
        const etag = response.headers.get('etag');
        if (!etag) throw new UploadError(`S3 stored ${what} without an ETag`);
        return etag;
      }
      failure = `S3 refused ${what}: ${response.status} ${await s3ErrorCode(response)}`.trimEnd();
      if (response.status < 500) throw new UploadError(failure);
    } catch (error) {
      if (error instanceof UploadError || signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      failure = `${what} did not reach S3: ${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause.code ?? cause.message})` : ''}`;
    }
    if (attempt >= PUT_ATTEMPTS) throw new UploadError(failure);
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
  }
}
