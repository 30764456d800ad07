// `s3-presign download --key K [DEST]`: the mirror of upload. One GET in checksum mode, signed
// with the operator's AWS credentials through the pinned route (each URL passes the
// validator) or by a running service (POST /downloads); the bytes go to DEST.part, are checked
// against the checksum S3 keeps, and only then take DEST's name. An interrupted download
// (Ctrl-C, a dropped connection) goes on with `Range` from what is on disk, guarded by
// `If-Match` on the ETag it started with, so a changed object starts over instead of splicing.
// A COMPOSITE checksum (`<base64>-N`) covers the parts' checksums, not the bytes: such an
// object is fetched part by part (GET ?partNumber=k in checksum mode answers the part's range
// and checksum), each part checked once on disk, then the composite recomputed from them.
import { constants } from 'node:fs';
import { lstat, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { z } from 'zod';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_DIGEST_BYTES,
  CHECKSUM_NAMES,
  CHECKSUM_TYPES,
  checksumHasher,
  checksumHeader,
  checksumValuePattern,
  MULTIPART_CHECKSUM_TYPES,
  type ChecksumAlgorithm,
} from '../endpoint/checksum-algorithms.js';
import { s3ErrorCode } from '../endpoint/bounded-body.js';
import { MAX_PARTS } from '../endpoint/s3-limits.js';
import { escapeControlCharacters as shown } from '../control-characters.js';
import type { PresignerBundle } from '../presign/create-presigner.js';
import { interruptSignal, UsageError, wholeNumber, type CliIo, type Command } from './command.js';
import { MODE_FLAGS, SERVICE_FLAGS } from './help.js';
import { configFrom, MODE_OPTIONS, signingFor } from './mode-flags.js';
import { formatMiB, progressOn, type Progress } from './progress.js';
import { serviceClient, ServiceError, type ServiceClient } from './service-client.js';
import { stateDirectory, TransferState } from './state.js';
import { storeRedirectRefusal } from './redirect.js';
import { quoteForShell, serviceToken } from './upload.js';

/** Attempts in a row that bring no new byte before a dropped connection is given up on. */
const FRUITLESS_ATTEMPTS = 3;
/** What the checksum is computed over in one read of the finished file. */
const READ_CHUNK_BYTES = 1024 * 1024;

const OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string' },
  key: { type: 'string' },
  expires: { type: 'string' },
  service: { type: 'string' },
  'token-file': { type: 'string' },
  'require-checksum': { type: 'boolean' },
  progress: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export const download: Command = {
  summary: 'fetch an object, checked against its stored checksum, resumable',
  help: `Usage: s3-presign download --key K [DEST] [--bucket B] [options] [mode flags]
       s3-presign download --key K [DEST] --service URL [--token-file FILE] [options]

Fetches an object into DEST (a file, or a directory for the key's last segment; default: that
name here) and checks it against the checksum the store keeps (x-amz-checksum-mode). The bytes
go to DEST.part and take DEST's name only once checked; a mismatch leaves DEST untouched and
keeps the bytes as DEST.mismatch (exit 1). An object with a COMPOSITE checksum (a multipart
upload's SHA-1/SHA-256, or CRC32/CRC32C chosen composite) is fetched part by part and each
part checked, then the composite. Ctrl-C or a dropped connection: the same command goes on
from the bytes on disk (Range), or starts over if the object has changed (If-Match).
  --key K                    the object key
  --bucket B                 the bucket (AWS credentials only; default S3_BUCKETS' first)
  --require-checksum         exit 1 when the object cannot be checked (no stored checksum, or a
                             COMPOSITE one whose parts the store does not answer as S3 does)
  --expires N                URL lifetime in seconds (AWS credentials only)
  --progress                 progress on stderr even when it is not a terminal
  --json                     the result as JSON

${SERVICE_FLAGS}

${MODE_FLAGS}

Example:
  s3-presign download --key reports/q3.pdf ./q3.pdf --mode regional --region eu-west-1 --bucket my-bucket`,

  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
    if (values.key === undefined) throw new UsageError('--key is required');
    if (positionals.length > 1) throw new UsageError('download takes at most one DEST (a file or a directory)');
    const options = {
      key: values.key,
      destination: positionals[0],
      requireChecksum: values['require-checksum'] ?? false,
      progress: values.progress,
      json: values.json,
      again: `s3-presign download ${args.map(quoteForShell).join(' ')}`,
    };
    if (values.service !== undefined) {
      for (const flag of ['bucket', 'expires', ...Object.keys(MODE_OPTIONS)] as const) {
        if (flag !== 'json' && flag !== 'help' && values[flag as keyof typeof values] !== undefined) {
          throw new UsageError(
            `--${flag} does not apply with --service: the service picks the bucket and signs the URL`,
          );
        }
      }
      let service;
      try {
        service = serviceClient(values.service, await serviceToken(values['token-file'], io.env));
      } catch (error) {
        throw error instanceof ServiceError ? new UsageError(error.message) : error;
      }
      return downloadWith({ ...options, signer: { kind: 'service', service } }, io);
    }
    if (values['token-file'] !== undefined) throw new UsageError('--token-file only applies with --service');
    const config = configFrom(values, io.env, { bucket: values.bucket });
    const bucket = values.bucket ?? config.buckets[0];
    if (!bucket) throw new UsageError('--bucket is required (or S3_BUCKETS)');
    const signing = await signingFor(config, io.env);
    try {
      const expiresIn = wholeNumber('expires', values.expires) ?? config.presign.defaultExpiresSeconds;
      return await downloadWith({ ...options, signer: { kind: 'aws', signing, bucket, expiresIn } }, io);
    } finally {
      signing.close();
    }
  },
};

/** Where the signed GET comes from: the operator's credentials, or the service. */
export type DownloadSigner =
  | { kind: 'aws'; signing: PresignerBundle; bucket: string; expiresIn: number }
  | { kind: 'service'; service: ServiceClient };

export interface DownloadCommandOptions {
  key: string;
  /** A file, or a directory to hold the key's last segment; defaults to that name here. */
  destination: string | undefined;
  signer: DownloadSigner;
  requireChecksum: boolean;
  progress: boolean | undefined;
  json: boolean | undefined;
  /** The command line that runs this download again (printed when it is interrupted). */
  again: string;
}

/** A download that cannot go on, with a message for the user (no stack trace). */
export class DownloadError extends Error {}

class DownloadInterrupted extends Error {
  constructor(
    readonly received: number,
    readonly size: number | undefined,
  ) {
    super('interrupted');
  }
}

interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64; a composite one ends in `-<parts>`. */
  value: string;
  type: 'FULL_OBJECT' | 'COMPOSITE';
}

/** One part of a COMPOSITE object, as the answer to its GET ?partNumber said. */
interface PartRecord {
  start: number;
  size: number;
  /** The part's stored checksum, base64, of the object's algorithm. */
  checksum: string;
  /** Its bytes on disk were checked against `checksum`. */
  verified: boolean;
}

/** What the first response said about the object, kept so a resumed run can finish checking it. */
interface DownloadState {
  etag: string;
  size: number;
  checksum: StoredChecksum | null;
  /** A COMPOSITE object fetched by parts: the parts fetched so far, in order. */
  parts?: PartRecord[];
  /** Why a COMPOSITE object was fetched whole after all: the store did not answer a part as S3 does. */
  partsUnavailable?: string;
}

interface DownloadIdentity {
  destination: string;
  source: string;
}

export type Verification =
  | {
      verified: true;
      algorithm: ChecksumAlgorithm;
      checksum: string;
      /** A COMPOSITE checksum: the parts checked one by one, then the composite of their checksums. */
      parts?: number;
    }
  | {
      verified: false;
      reason: 'no-checksum' | 'composite';
      algorithm?: ChecksumAlgorithm;
      checksum?: string;
      /** composite: what kept the parts from being checked. */
      detail?: string;
    };

export interface DownloadResult {
  key: string;
  destination: string;
  size: number;
  etag: string;
  /** Bytes already on disk from an interrupted run, not fetched again. */
  resumedBytes: number;
  /** Times the download began again at byte 0 because the object had changed. */
  restarts: number;
  verification: Verification;
}

async function downloadWith(options: DownloadCommandOptions, io: CliIo): Promise<number> {
  const progress = progressOn(io.stderr, options.progress);
  const interrupt = interruptSignal(io);
  const { signal } = interrupt;
  try {
    const result = await downloadObject(options, { progress, signal, stateDirectory: stateDirectory(io.env) });
    progress.end();
    if (options.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      io.stdout.write(`${describe(result)}\n`);
    }
    return 0;
  } catch (error) {
    progress.end();
    if (error instanceof DownloadInterrupted) {
      const total = error.size === undefined ? '' : ` of ${formatMiB(error.size)}`;
      io.stderr.write(
        `s3-presign: interrupted; ${formatMiB(error.received)}${total} is on disk.\n  resume:  ${options.again}\n`,
      );
      return 130;
    }
    if (signal.aborted) {
      // Stopped before the first byte: nothing on disk to go on from.
      io.stderr.write('s3-presign: interrupted before the download started\n');
      return 130;
    }
    if (error instanceof DownloadError || error instanceof ServiceError) {
      io.stderr.write(`s3-presign: ${shown(error.message)}\n`);
      return 1;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
}

function describe(result: DownloadResult): string {
  const resumed = result.resumedBytes > 0 ? ` (${formatMiB(result.resumedBytes)} from the interrupted run)` : '';
  const restarted = result.restarts > 0 ? ' (the object had changed since the interrupted run: downloaded again)' : '';
  const { verification } = result;
  const check = verification.verified
    ? `${CHECKSUM_NAMES[verification.algorithm]} ${verification.checksum} checked${verification.parts === undefined ? '' : ` (each of the ${verification.parts} parts, and the composite of their checksums)`}`
    : `not verified: ${unverifiedReason(verification)}`;
  return `downloaded ${result.size} bytes of ${shown(result.key)} to ${shown(result.destination)}${resumed}${restarted}, ${check}`;
}

function unverifiedReason(verification: Verification & { verified: false }): string {
  if (verification.reason === 'no-checksum') return 'the store keeps no checksum for this object';
  const parts = /-(\d+)$/.exec(verification.checksum ?? '')?.[1] ?? 'its';
  return `the stored ${CHECKSUM_NAMES[verification.algorithm as ChecksumAlgorithm]} is COMPOSITE (a checksum of ${parts} parts' checksums), and ${verification.detail ?? 'it names no part count'}, so the parts could not be checked`;
}

interface DownloadContext {
  progress: Progress;
  signal: AbortSignal;
  stateDirectory: string;
}

async function destinationFor(key: string, asked: string | undefined): Promise<string> {
  const name = basename(key);
  if (asked === undefined) return resolve(name);
  const info = await stat(asked).catch(() => undefined);
  return info?.isDirectory() ? resolve(join(asked, name)) : resolve(asked);
}

async function downloadObject(options: DownloadCommandOptions, context: DownloadContext): Promise<DownloadResult> {
  const opened: { state?: DownloadStateFile } = {};
  try {
    return await downloadInto(options, context, opened);
  } catch (error) {
    // An interrupted run, or one to go on from (a dropped connection), leaves its state whole.
    if (error instanceof DownloadInterrupted || error instanceof DownloadError) await opened.state?.flush();
    throw error;
  }
}

async function downloadInto(
  options: DownloadCommandOptions,
  context: DownloadContext,
  opened: { state?: DownloadStateFile },
): Promise<DownloadResult> {
  const { progress, signal } = context;
  const destination = await destinationFor(options.key, options.destination);
  const partial = `${destination}.part`;
  const source =
    options.signer.kind === 'aws'
      ? `s3://${options.signer.bucket}/${options.key}`
      : `${options.signer.service.base} ${options.key}`;
  const state = new DownloadStateFile(
    new TransferState<DownloadIdentity, DownloadState>(context.stateDirectory, 'download', { destination, source }),
  );
  opened.state = state;

  // A state file that is not what this command wrote (edited, or from another version) is no state.
  let saved = downloadStateSchema.safeParse(await state.read()).data;
  let received = 0;
  if (saved) {
    // Without the file it described (or with other bytes than it says were fetched), the state is stale.
    const onDisk = (await lstat(partial).catch(() => undefined))?.size;
    const kept =
      onDisk === undefined || onDisk > saved.size
        ? undefined
        : saved.parts
          ? bytesOfParts(saved.parts, onDisk)
          : onDisk;
    if (kept === undefined) {
      saved = undefined;
    } else {
      // Bytes past the parts the state names belong to parts it was not written for: fetched again.
      if (kept < (onDisk as number)) await truncatePartial(partial, kept);
      received = kept;
    }
  }
  const resumedBytes = received;
  if (saved && received > 0) {
    progress.line(`resuming ${options.key}: ${formatMiB(received)} of ${formatMiB(saved.size)} on disk`);
  }
  let restarts = 0;
  let fruitless = 0;

  for (;;) {
    if (saved?.parts) {
      const last = saved.parts.at(-1);
      if (last !== undefined && received === last.start + last.size && !last.verified) {
        await verifyPart(partial, saved, saved.parts.length, progress, signal).catch(async (error: unknown) => {
          if (signal.aborted) throw new DownloadInterrupted(received, saved?.size);
          if (error instanceof PartMismatch) {
            await state.remove();
            await move(partial, `${destination}.mismatch`);
            throw new DownloadError(
              `${error.message}; the bytes received were kept aside as ${destination}.mismatch, and ${destination} was not written`,
            );
          }
          throw error;
        });
        last.verified = true;
        await state.partChanged(saved);
        continue;
      }
      if (saved.parts.length === compositePartCount(saved) && last?.verified) break;
    } else if (saved && received >= saved.size) {
      break;
    }

    const ask = nextRequest(saved, received);
    /** Where the bytes of this answer end (exclusive). */
    let end: number;
    const get = await signedGet(options, signal, ask.partNumber);
    const headers: Record<string, string> = { ...get.headers };
    if (ask.range !== undefined) headers.range = `bytes=${ask.range[0]}-${ask.range[1] ?? ''}`;
    if (saved && (received > 0 || saved.parts)) headers['if-match'] = saved.etag;
    let response: Response;
    try {
      // The URL was validated for one host: a redirect would take the request elsewhere.
      response = await fetch(get.url, { headers, signal, redirect: 'manual' });
    } catch (error) {
      if (signal.aborted) throw new DownloadInterrupted(received, saved?.size);
      fruitless += 1;
      if (fruitless >= FRUITLESS_ATTEMPTS) throw new DownloadError(`the store did not answer: ${causeOf(error)}`);
      continue;
    }
    if (response.status === 412 && saved) {
      await response.body?.cancel();
      const since = resumedBytes > 0 && restarts === 0 ? 'the interrupted download' : 'the download began';
      progress.line(`${options.key} has changed since ${since}: starting over`);
      restarts += 1;
      saved = undefined;
      received = 0;
      continue;
    }
    const redirect = await storeRedirectRefusal(response, options.key);
    if (redirect !== undefined) throw new DownloadError(redirect);
    if (!response.ok) {
      const code = await s3ErrorCode(response);
      const what = ask.partNumber === undefined ? '' : `part ${ask.partNumber} of `;
      const failure = `the store refused the download of ${what}${options.key}: ${response.status} ${code}`.trimEnd();
      if (response.status < 500) throw new DownloadError(failure);
      fruitless += 1;
      if (fruitless >= FRUITLESS_ATTEMPTS) throw new DownloadError(failure);
      continue;
    }
    if (ask.partNumber !== undefined && saved?.parts) {
      const part = describePart(response, saved, received, ask.partNumber);
      if (typeof part === 'string') {
        await response.body?.cancel();
        progress.line(`${part}: fetching ${options.key} whole, its COMPOSITE checksum unchecked`);
        saved = { etag: saved.etag, size: saved.size, checksum: saved.checksum, partsUnavailable: part };
        received = 0;
        await state.write(saved);
        continue;
      }
      saved.parts.push(part);
      await state.partChanged(saved);
      end = part.start + part.size;
    } else if (response.status === 206) {
      if (!saved || ask.range === undefined) {
        await response.body?.cancel();
        throw new DownloadError(
          `the store answered 206 (a part) to a GET for the whole object ${options.key}: ${response.headers.get('content-range') ?? 'no Content-Range'}`,
        );
      }
      end = checkContinuation(response, saved, received, ask.range[1] === undefined ? saved.size : ask.range[1] + 1);
    } else {
      // The whole object, from byte 0: what it is, written down before its first byte lands.
      const object = describeObject(response, options.key);
      if (saved?.partsUnavailable !== undefined && saved.etag === object.etag) {
        object.partsUnavailable = saved.partsUnavailable;
      }
      saved = object;
      received = 0;
      if (compositePartCount(saved) !== undefined && saved.partsUnavailable === undefined) {
        // Its checksum covers the parts: fetched again part by part, so each can be checked.
        await response.body?.cancel();
        saved.parts = [];
        await state.write(saved);
        await (await openPartial(partial, 'start')).close();
        continue;
      }
      await state.write(saved);
      if (saved.size === 0) {
        await response.body?.cancel();
        await (await openPartial(partial, 'start')).close();
        continue;
      }
      end = saved.size;
    }
    const before = received;
    const handle = await openPartial(partial, received === 0 ? 'start' : 'append');
    try {
      received = await receive(response, handle, received, end, saved.size, progress, signal);
    } catch (error) {
      if (error instanceof DownloadError) throw error;
      received = (await handle.stat()).size;
      if (signal.aborted) throw new DownloadInterrupted(received, saved.size);
      fruitless = received > before ? 1 : fruitless + 1;
      if (fruitless >= FRUITLESS_ATTEMPTS) {
        throw new DownloadError(
          `the connection dropped ${FRUITLESS_ATTEMPTS} times; ${formatMiB(received)} of ${formatMiB(saved.size)} is on disk: run the same command to go on (${causeOf(error)})`,
        );
      }
      progress.line(`the connection dropped at ${formatMiB(received)}: going on from there`);
      continue;
    } finally {
      await handle.close();
    }
  }
  const object = saved;

  const verification = await (object.parts ? verifyComposite(object) : verify(partial, object, progress, signal)).catch(
    (error: unknown) => {
      if (signal.aborted) throw new DownloadInterrupted(object.size, object.size);
      throw error;
    },
  );
  await state.remove();
  if (verification === 'mismatch') {
    const aside = `${destination}.mismatch`;
    await move(partial, aside);
    const what = object.parts
      ? `the checksums of the ${object.parts.length} parts received do not make the stored composite ${CHECKSUM_NAMES[object.checksum!.algorithm]}`
      : `the bytes received do not match the stored ${CHECKSUM_NAMES[object.checksum!.algorithm]} checksum`;
    throw new DownloadError(
      `${what} (${object.checksum!.value}); they were kept aside as ${aside}, and ${destination} was not written`,
    );
  }
  if (!verification.verified && options.requireChecksum) {
    const aside = `${destination}.unverified`;
    await move(partial, aside);
    throw new DownloadError(
      `--require-checksum: ${unverifiedReason(verification)}; the bytes were kept aside as ${aside}, and ${destination} was not written`,
    );
  }
  await move(partial, destination);
  return {
    key: options.key,
    destination,
    size: object.size,
    etag: object.etag,
    resumedBytes: restarts > 0 ? 0 : resumedBytes,
    restarts,
    verification,
  };
}

/**
 * DEST.part, opened without following a symbolic link: in a shared directory (/tmp) another
 * user could plant one pointing at a file of yours, which the bytes would overwrite and DEST
 * would then become.
 */
async function openPartial(path: string, from: 'start' | 'append'): Promise<FileHandle> {
  const flags = from === 'start' ? constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC : constants.O_RDWR;
  try {
    return await open(path, flags | constants.O_NOFOLLOW, 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      throw new DownloadError(`${path} is a symbolic link, not written through: remove it, or name another DEST`);
    }
    throw new DownloadError(`cannot write ${path}: ${code ?? (error as Error).message}`);
  }
}

async function move(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    throw new DownloadError(
      `cannot move ${from} to ${to}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
}

/**
 * What to ask for next: the whole object; in parts, the rest of a part cut short (a plain
 * ranged GET: S3 refuses Range with partNumber) or the next part; else the rest of the object.
 */
function nextRequest(
  saved: DownloadState | undefined,
  received: number,
): { partNumber?: number; range?: [from: number, to?: number] } {
  if (saved?.parts) {
    const last = saved.parts.at(-1);
    if (last !== undefined && received < last.start + last.size) {
      return { range: [received, last.start + last.size - 1] };
    }
    return { partNumber: saved.parts.length + 1 };
  }
  return saved && received > 0 ? { range: [received] } : {};
}

/**
 * How many of the `onDisk` bytes the recorded parts account for (every part before the last
 * checked, the last begun): what follows them was fetched for parts the state does not name.
 * Undefined when the bytes do not reach the last part.
 */
function bytesOfParts(parts: readonly PartRecord[], onDisk: number): number | undefined {
  const last = parts.at(-1);
  if (last === undefined) return 0;
  if (onDisk < last.start || !parts.slice(0, -1).every((part) => part.verified)) return undefined;
  return Math.min(onDisk, last.start + last.size);
}

async function truncatePartial(path: string, size: number): Promise<void> {
  const handle = await openPartial(path, 'append');
  try {
    await handle.truncate(size);
  } finally {
    await handle.close();
  }
}

/**
 * The state file, written in work linear in the parts. Each write holds every part so far,
 * so one per part begun or checked was quadratic: 2,001 writes and 97 MB of JSON for 1,000
 * parts (test/cli/hostile-store.test.ts), some 14 GB for S3's 10,000. A change is written at
 * once while the parts are few (under 32), then once a sixteenth of the parts' worth of
 * changes waits; an interrupted run writes what waits, and after a crash a resume cuts
 * DEST.part back to the parts the file names and fetches the rest again (a sixteenth of them
 * at most).
 */
class DownloadStateFile {
  /** The state last given, and how many changes to it wait to be written. */
  #latest: DownloadState | undefined;
  #waiting = 0;
  #removed = false;

  constructor(private readonly file: TransferState<DownloadIdentity, DownloadState>) {}

  read(): Promise<DownloadState | undefined> {
    return this.file.read();
  }

  /** Now: what the object is, before its first byte lands. */
  async write(state: DownloadState): Promise<void> {
    this.#latest = state;
    this.#waiting = 0;
    this.#removed = false;
    await this.file.write(state);
  }

  /** A part begun or checked. */
  async partChanged(state: DownloadState): Promise<void> {
    this.#latest = state;
    this.#waiting += 1;
    if (this.#waiting >= Math.max(1, Math.floor((state.parts?.length ?? 0) / 16))) await this.write(state);
  }

  /** What waits, unless the download was given up on (its state removed). */
  async flush(): Promise<void> {
    if (this.#latest !== undefined && this.#waiting > 0 && !this.#removed) await this.write(this.#latest);
  }

  async remove(): Promise<void> {
    this.#removed = true;
    await this.file.remove();
  }
}

/** The parts a COMPOSITE checksum was made of (its `-N`), or undefined for any other. */
function compositePartCount(saved: DownloadState): number | undefined {
  if (saved.checksum?.type !== 'COMPOSITE') return undefined;
  const count = Number(/-(\d{1,5})$/.exec(saved.checksum.value)?.[1]);
  return Number.isInteger(count) && count >= 1 && count <= MAX_PARTS ? count : undefined;
}

async function signedGet(
  options: DownloadCommandOptions,
  signal: AbortSignal,
  partNumber: number | undefined,
): Promise<{ url: string; headers: Record<string, string> }> {
  const { signer } = options;
  if (signer.kind === 'aws') {
    return signer.signing.presigner.presign({
      operation: 'get',
      bucket: signer.bucket,
      key: options.key,
      expiresIn: signer.expiresIn,
      checksumMode: true,
      partNumber,
    });
  }
  // The service signs and validates it; /downloads is open to an API key and a frontend's JWT alike.
  return signer.service.post(
    '/downloads',
    { key: options.key, checksumMode: true, ...(partNumber === undefined ? {} : { partNumber }) },
    signedGetAnswer,
    signal,
  );
}

/** What the CLI uses of /downloads' answer: a URL it will fetch must be http or https. */
const signedGetAnswer = z.object({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string()),
});

/**
 * A stored checksum as S3 answers it: canonical base64 of the algorithm's digest, and for a
 * composite one (an algorithm S3 allows it for) `-<parts>`, 1 to 10,000.
 */
function isStoredChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  const whole = checksumValuePattern(algorithm);
  if (whole.test(value)) return true;
  if (!MULTIPART_CHECKSUM_TYPES[algorithm].includes('COMPOSITE')) return false;
  const composite = /^(.*)-([1-9]\d{0,4})$/.exec(value);
  return composite !== null && whole.test(composite[1]!) && Number(composite[2]) <= 10_000;
}

const storedChecksumSchema = z
  .object({ algorithm: z.enum(CHECKSUM_ALGORITHMS), value: z.string(), type: z.enum(CHECKSUM_TYPES) })
  .refine((checksum) => isStoredChecksum(checksum.algorithm, checksum.value));

const downloadStateSchema = z
  .object({
    etag: z.string().min(1),
    size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    checksum: storedChecksumSchema.nullable(),
    parts: z
      .array(
        z.object({
          start: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
          size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
          checksum: z.string().max(128),
          verified: z.boolean(),
        }),
      )
      .max(MAX_PARTS)
      .optional(),
    partsUnavailable: z.string().max(1024).optional(),
  })
  .refine(partsDescribeTheObject) satisfies z.ZodType<DownloadState>;

/**
 * Parts only for a COMPOSITE checksum, at most its part count, each checksum of its
 * algorithm, one after the other from byte 0 to no further than the object's end: what
 * describePart lets through. The run after trusts them (which part to ask for next, what a
 * part's bytes must hash to), so a state file that says otherwise is no state.
 */
function partsDescribeTheObject(state: DownloadState): boolean {
  if (state.parts === undefined) return true;
  const count = compositePartCount(state);
  if (count === undefined || state.parts.length > count) return false;
  const pattern = checksumValuePattern((state.checksum as StoredChecksum).algorithm);
  let next = 0;
  for (const part of state.parts) {
    if (part.start !== next || !pattern.test(part.checksum)) return false;
    next = part.start + part.size;
  }
  return next <= state.size;
}

/** The object as a full (200) answer in checksum mode describes it. */
function describeObject(response: Response, key: string): DownloadState {
  const etag = response.headers.get('etag');
  // Number('') is 0: an answer without the header (chunked) would pass for an empty object.
  const length = response.headers.get('content-length') ?? '';
  if (!etag || !/^\d{1,15}$/.test(length)) {
    throw new DownloadError(`the store answered for ${key} without an ETag or a Content-Length`);
  }
  const size = Number(length);
  const algorithms = CHECKSUM_ALGORITHMS.filter((candidate) => response.headers.has(checksumHeader(candidate)));
  if (algorithms.length > 1) {
    throw new DownloadError(
      `the store answered ${key} with several checksums (${algorithms.map(checksumHeader).join(', ')}); S3 keeps one per object`,
    );
  }
  const algorithm = algorithms[0];
  if (algorithm === undefined) return { etag, size, checksum: null };
  const value = response.headers.get(checksumHeader(algorithm)) as string;
  if (!isStoredChecksum(algorithm, value)) {
    throw new DownloadError(
      `the store answered ${key} with ${checksumHeader(algorithm)} ${shownValue(value)}, which is not a ${CHECKSUM_NAMES[algorithm]} checksum (base64 of ${CHECKSUM_DIGEST_BYTES[algorithm]} bytes${MULTIPART_CHECKSUM_TYPES[algorithm].includes('COMPOSITE') ? ', or that and -<parts>' : ''})`,
    );
  }
  const type =
    response.headers.get('x-amz-checksum-type') === 'COMPOSITE' || /-\d+$/.test(value) ? 'COMPOSITE' : 'FULL_OBJECT';
  return { etag, size, checksum: { algorithm, value, type } };
}

/** A header value in a message: quoted, cut at 64 characters. */
function shownValue(value: string): string {
  return value.length > 64 ? `"${value.slice(0, 64)}…" (${value.length} characters)` : `"${value}"`;
}

/** A ranged answer must go on exactly where the file on disk ends, from the same object; returns where it ends. */
function checkContinuation(response: Response, saved: DownloadState, received: number, end: number): number {
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (!range || Number(range[1]) !== received || Number(range[2]) !== end - 1 || Number(range[3]) !== saved.size) {
    throw new DownloadError(
      `the store answered the resumed download with ${response.headers.get('content-range') ?? 'no Content-Range'}, not bytes ${received}-${end - 1}/${saved.size}`,
    );
  }
  return end;
}

/**
 * Part `partNumber` of a COMPOSITE object as its answer describes it: it must begin where the
 * previous part ended, the last one end with the object, and the count be the composite's.
 * A string (why) when the store does not answer parts as S3 does: no part count, no range, no
 * checksum; the object is then fetched whole and its checksum left unchecked.
 */
function describePart(
  response: Response,
  saved: DownloadState,
  received: number,
  partNumber: number,
): PartRecord | string {
  const count = compositePartCount(saved) as number;
  const { algorithm } = saved.checksum as StoredChecksum;
  const announced = response.headers.get('x-amz-mp-parts-count');
  if (announced === null) {
    return `the store answered part ${partNumber} without x-amz-mp-parts-count (it does not serve an object's parts)`;
  }
  const range = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (response.status !== 206 || !range) {
    return `the store answered part ${partNumber} with ${response.status} and ${response.headers.get('content-range') ?? 'no Content-Range'}`;
  }
  // A store that serves parts (it said how many) and gives a part no checksum of the
  // object's algorithm keeps none: the object comes whole. Any other checksum is a lie.
  const sent = CHECKSUM_ALGORITHMS.filter((candidate) => response.headers.has(checksumHeader(candidate)));
  if (sent.length > 1) {
    throw new DownloadError(
      `the store answered part ${partNumber} with several checksums (${sent.map(checksumHeader).join(', ')}); S3 keeps one`,
    );
  }
  const checksum = response.headers.get(checksumHeader(algorithm));
  if (checksum === null) {
    if (sent[0] !== undefined) {
      throw new DownloadError(
        `the store answered part ${partNumber} with ${checksumHeader(sent[0])}, not the object's ${CHECKSUM_NAMES[algorithm]} (${checksumHeader(algorithm)})`,
      );
    }
    return `the store answered part ${partNumber} without its ${CHECKSUM_NAMES[algorithm]} checksum`;
  }
  if (!checksumValuePattern(algorithm).test(checksum)) {
    throw new DownloadError(
      `the store answered part ${partNumber} with ${checksumHeader(algorithm)} ${shownValue(checksum)}, which is not a ${CHECKSUM_NAMES[algorithm]} checksum (base64 of ${CHECKSUM_DIGEST_BYTES[algorithm]} bytes)`,
    );
  }
  const [start, last, total] = [Number(range[1]), Number(range[2]), Number(range[3])];
  const lastPart = partNumber === count;
  if (
    announced !== String(count) ||
    start !== received ||
    total !== saved.size ||
    last < start ||
    (last === total - 1) !== lastPart
  ) {
    throw new DownloadError(
      `the store answered part ${partNumber} of ${count} with bytes ${start}-${last}/${total} of ${announced} parts, which does not continue the ${count} parts of the ${saved.size} bytes its checksum covers (${saved.checksum!.value})`,
    );
  }
  return { start, size: last - start + 1, checksum, verified: false };
}

/** Appends the body at `position` up to `end`; returns where the file ends. `total` is the object's size. */
async function receive(
  response: Response,
  handle: FileHandle,
  position: number,
  end: number,
  total: number,
  progress: Progress,
  signal: AbortSignal,
): Promise<number> {
  if (!response.body) throw new DownloadError('the store answered without a body');
  let written = position;
  progress.bytes(written, total, 'received');
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    if (written + chunk.length > end)
      throw new DownloadError(`the store sent more than the ${end - position} bytes it announced`);
    await handle.write(chunk, 0, chunk.length, written);
    written += chunk.length;
    progress.bytes(written, total, 'received');
  }
  signal.throwIfAborted();
  if (written !== end) throw new Error(`the body ended at ${written} of ${end} bytes`);
  return written;
}

/** The base64 checksum of `size` bytes of the file from `start`. */
async function checksumOfRange(
  path: string,
  algorithm: ChecksumAlgorithm,
  start: number,
  size: number,
  signal: AbortSignal,
): Promise<string> {
  const hasher = checksumHasher(algorithm);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    for (let position = start; position < start + size;) {
      signal.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, start + size - position), position);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    await handle.close();
  }
  return hasher.digest();
}

async function verify(
  path: string,
  object: DownloadState,
  progress: Progress,
  signal: AbortSignal,
): Promise<Verification | 'mismatch'> {
  const { checksum } = object;
  if (checksum === null) return { verified: false, reason: 'no-checksum' };
  if (checksum.type === 'COMPOSITE') {
    return {
      verified: false,
      reason: 'composite',
      algorithm: checksum.algorithm,
      checksum: checksum.value,
      ...(object.partsUnavailable === undefined ? {} : { detail: object.partsUnavailable }),
    };
  }
  const waiting = progress.waiting(`checking the ${CHECKSUM_NAMES[checksum.algorithm]} checksum`);
  let computed: string;
  try {
    computed = await checksumOfRange(path, checksum.algorithm, 0, object.size, signal);
  } finally {
    waiting.stop();
  }
  if (computed !== checksum.value) return 'mismatch';
  return { verified: true, algorithm: checksum.algorithm, checksum: computed };
}

/** A part whose bytes on disk are not its stored checksum's. */
class PartMismatch extends Error {}

/** Checks part `partNumber` (the last fetched) on disk against its stored checksum. */
async function verifyPart(
  path: string,
  object: DownloadState,
  partNumber: number,
  progress: Progress,
  signal: AbortSignal,
): Promise<void> {
  const part = object.parts![partNumber - 1] as PartRecord;
  const { algorithm } = object.checksum as StoredChecksum;
  const count = compositePartCount(object) as number;
  const waiting = progress.waiting(`checking part ${partNumber} of ${count}`);
  let computed: string;
  try {
    computed = await checksumOfRange(path, algorithm, part.start, part.size, signal);
  } finally {
    waiting.stop();
  }
  if (computed !== part.checksum) {
    throw new PartMismatch(
      `part ${partNumber} of ${count} (bytes ${part.start}-${part.start + part.size - 1}) does not match its stored ${CHECKSUM_NAMES[algorithm]} checksum (${part.checksum})`,
    );
  }
}

/**
 * The composite of the parts' checksums, as S3 made it at completion: the algorithm over their
 * binary digests joined in order, then `-N`. Each part's bytes were checked against its own.
 */
async function verifyComposite(object: DownloadState): Promise<Verification | 'mismatch'> {
  const { algorithm, value } = object.checksum as StoredChecksum;
  const parts = object.parts as PartRecord[];
  const hasher = checksumHasher(algorithm);
  for (const part of parts) hasher.update(Buffer.from(part.checksum, 'base64'));
  const computed = `${await hasher.digest()}-${parts.length}`;
  if (computed !== value) return 'mismatch';
  return { verified: true, algorithm, checksum: computed, parts: parts.length };
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
