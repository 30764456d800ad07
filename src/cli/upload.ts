// `s3-presign upload FILE`: with the operator's AWS credentials (./direct-upload.ts), or
// through a running service's multipart API with its token (./service-upload.ts).
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_API_NAMES,
  verifiedChecksumsSetting,
  type ChecksumAlgorithm,
} from '../endpoint/checksum-algorithms.js';
import { interruptSignal, UsageError, wholeNumber, type CliIo, type Command } from './command.js';
import { MODE_FLAGS, SERVICE_FLAGS } from './help.js';
import { configFrom, MODE_OPTIONS, signingFor } from './mode-flags.js';
import { formatMiB } from './progress.js';

const OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string' },
  key: { type: 'string' },
  expires: { type: 'string' },
  'content-type': { type: 'string' },
  'part-size': { type: 'string' },
  'multipart-threshold': { type: 'string' },
  service: { type: 'string' },
  'token-file': { type: 'string' },
  abort: { type: 'boolean' },
  progress: { type: 'boolean' },
  'checksum-algorithm': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

type UploadValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

export const upload: Command = {
  summary: 'send a file of any size (AWS credentials, or --service URL), resumable',
  help: `Usage: s3-presign upload FILE --key K [--bucket B] [options] [mode flags]
       s3-presign upload FILE --service URL [--token-file FILE] [options]

Sends a file of any size: one PUT up to the threshold, else a multipart upload. With your
AWS credentials (the key is yours to name; --bucket defaults to S3_BUCKETS' first, or
local-uploads in local mode), or through the service's multipart API (the service names the
key; FILE's name is the filename). Through the service, Ctrl-C stops cleanly and running the
same command again sends only the missing parts; --abort discards the upload instead.
  --key K                    the object key (AWS credentials only)
  --bucket B                 the bucket (AWS credentials only)
  --content-type T           default application/octet-stream
  --part-size BYTES          5 MiB..5 GiB, default 8 MiB (raised to fit 10,000 parts)
  --multipart-threshold BYTES  one PUT up to this size, default 8 MiB (AWS credentials only)
  --checksum-algorithm A     what each PUT signs, checked by the store: CRC64NVME (default),
                             CRC32, CRC32C, SHA1, SHA256, SHA512, MD5, XXHASH64, XXHASH3,
                             XXHASH128 or none. In parts, CRC64NVME, CRC32 and CRC32C are
                             FULL_OBJECT (the whole file's), the others COMPOSITE; MD5 always
                             goes up in parts (S3 documents it for parts only)
  --expires N                URL lifetime in seconds (AWS credentials only)
  --progress                 progress on stderr even when it is not a terminal
  --abort                    (--service) abort the interrupted upload of FILE and forget it
  --json                     the result as JSON

${SERVICE_FLAGS}

${MODE_FLAGS}

Example:
  S3_PRESIGN_TOKEN=s3p_… s3-presign upload ./video.mp4 --service http://127.0.0.1:8080 --content-type video/mp4`,

  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError('upload takes exactly one FILE');
    const file = positionals[0] as string;
    if (values.service !== undefined) return uploadThroughService(file, values, io);
    for (const flag of ['token-file', 'abort'] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} only applies with --service`);
    }
    return uploadWithCredentials(file, values, io);
  },
};

async function uploadWithCredentials(file: string, values: UploadValues, io: CliIo): Promise<number> {
  if (values.key === undefined) throw new UsageError('--key is required');
  const config = configFrom(values, io.env, { bucket: values.bucket });
  // S3_BUCKETS' first, or local mode's default bucket, as the service picks.
  const bucket = values.bucket ?? config.buckets[0];
  if (!bucket) throw new UsageError('--bucket is required (or S3_BUCKETS)');
  const signing = await signingFor(config, io.env);
  const direct = await import('./direct-upload.js');
  const interrupt = interruptSignal(io);
  // A progress line on a terminal (or with --progress): a pipe or a log file gets the result alone.
  const progress =
    io.stderr.isTTY || values.progress
      ? (sent: number, total: number, detail: string) =>
          io.stderr.write(
            `\r\x1b[K${formatMiB(sent)} of ${formatMiB(total)} (${total === 0 ? 100 : Math.floor((sent / total) * 100)}%), ${detail}`,
          )
      : undefined;
  try {
    const result = await direct.uploadFile(signing, {
      file,
      bucket,
      key: values.key,
      contentType: values['content-type'] ?? 'application/octet-stream',
      expiresIn: wholeNumber('expires', values.expires) ?? config.presign.defaultExpiresSeconds,
      multipartThreshold:
        wholeNumber('multipart-threshold', values['multipart-threshold']) ?? direct.DEFAULT_MULTIPART_THRESHOLD,
      partSize: wholeNumber('part-size', values['part-size']) ?? direct.DEFAULT_PART_BYTES,
      checksumAlgorithm: uploadChecksum(values['checksum-algorithm'], config.store.verifiedChecksums),
      onProgress: progress,
      signal: interrupt.signal,
    });
    if (progress) io.stderr.write('\n');
    if (values.json) {
      io.stdout.write(`${JSON.stringify({ mode: config.mode.kind, ...result }, null, 2)}\n`);
    } else {
      io.stdout.write(
        `uploaded ${result.size} bytes to ${result.bucket}/${result.key} in ${result.parts} part${result.parts === 1 ? '' : 's'}, ETag ${result.etag}${result.checksum ? `, ${checksumDescription(result.checksum)}` : ''}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (progress) io.stderr.write('\n');
    if (interrupt.signal.aborted) {
      io.stderr.write('s3-presign: interrupted; the upload was aborted and S3 keeps none of it\n');
      return 130;
    }
    if (error instanceof direct.UploadError) {
      io.stderr.write(`s3-presign: ${error.message}\n`);
      return 1;
    }
    if (error instanceof Error && '$metadata' in error) {
      // An S3 refusal from the pinned client (create or complete): its code, not a stack.
      io.stderr.write(`s3-presign: S3 refused the upload: ${error.name}\n`);
      return 1;
    }
    throw error;
  } finally {
    interrupt.dispose();
    signing.close();
  }
}

/**
 * --checksum-algorithm: what each PUT of an upload signs. CRC64NVME (S3's default for new
 * objects) unless named, and then only where the store verifies it (a signed value the store
 * does not check would promise what nothing enforces); `none` for none.
 */
function uploadChecksum(
  named: string | undefined,
  verified: readonly ChecksumAlgorithm[] | undefined,
): ChecksumAlgorithm | undefined {
  if (named === undefined) return verified === undefined || verified.includes('crc64nvme') ? 'crc64nvme' : undefined;
  if (named.toLowerCase() === 'none') return undefined;
  const algorithm = CHECKSUM_ALGORITHMS.find((candidate) => CHECKSUM_API_NAMES[candidate] === named.toUpperCase());
  if (algorithm === undefined) {
    throw new UsageError(
      `--checksum-algorithm must be ${Object.values(CHECKSUM_API_NAMES).join(', ')} or none, got "${named}"`,
    );
  }
  if (verified !== undefined && !verified.includes(algorithm)) {
    throw new UsageError(
      `--checksum-algorithm ${CHECKSUM_API_NAMES[algorithm]}: this store does not verify it (S3_STORE_CHECKSUMS=${verifiedChecksumsSetting(verified)}), so a signed value would stop nothing; choose one it verifies, or none`,
    );
  }
  return algorithm;
}

function checksumDescription(checksum: { algorithm: ChecksumAlgorithm; type: string; value: string }): string {
  return `${CHECKSUM_API_NAMES[checksum.algorithm]} ${checksum.value}${checksum.type === 'COMPOSITE' ? ' (composite, of the parts)' : ''} checked by the store`;
}

/** The token for --service: S3_PRESIGN_TOKEN or --token-file, never a flag value (shell history, ps). */
export async function serviceToken(tokenFile: string | undefined, env: CliIo['env']): Promise<string> {
  if (tokenFile !== undefined) {
    const text = await readFile(tokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`--token-file: cannot read ${tokenFile} (${error.code})`);
    });
    const token = text.trim();
    if (token === '' || /\s/.test(token)) throw new UsageError(`--token-file: ${tokenFile} must hold one token`);
    return token;
  }
  const token = env.S3_PRESIGN_TOKEN?.trim();
  if (!token) {
    throw new UsageError(
      '--service needs a token (an API key or a JWT): set S3_PRESIGN_TOKEN or pass --token-file FILE',
    );
  }
  return token;
}

async function uploadThroughService(file: string, values: UploadValues, io: CliIo): Promise<number> {
  // The service picks the bucket, the key and the URLs' lifetime, and signs with its own route.
  for (const flag of ['key', 'bucket', 'expires', 'multipart-threshold', ...Object.keys(MODE_OPTIONS)] as const) {
    if (flag !== 'json' && flag !== 'help' && values[flag as keyof UploadValues] !== undefined) {
      throw new UsageError(`--${flag} does not apply with --service: the service names the key and signs the URLs`);
    }
  }
  const { serviceClient, ServiceError } = await import('./service-client.js');
  const { abortThroughService, uploadThroughService, UploadError, UploadInterrupted } =
    await import('./service-upload.js');
  const { progressOn } = await import('./progress.js');
  const { stateDirectory } = await import('./state.js');
  let service;
  try {
    service = serviceClient(values.service as string, await serviceToken(values['token-file'], io.env));
  } catch (error) {
    throw error instanceof ServiceError ? new UsageError(error.message) : error;
  }
  const progress = progressOn(io.stderr, values.progress);
  const interrupt = interruptSignal(io);
  const options = {
    file,
    contentType: values['content-type'] ?? 'application/octet-stream',
    partSize: wholeNumber('part-size', values['part-size']),
    checksumAlgorithm: uploadChecksum(values['checksum-algorithm'], undefined),
    checksumNamed: values['checksum-algorithm'] !== undefined,
    stateDirectory: stateDirectory(io.env),
    progress,
    signal: interrupt.signal,
  };
  // The flags that make up the upload's identity in the state, so the printed command finds it.
  const identityFlags = (['content-type', 'checksum-algorithm'] as const)
    .filter((flag) => values[flag] !== undefined)
    .map((flag) => ` --${flag} ${quoteForShell(values[flag] as string)}`)
    .join('');
  const again = `s3-presign upload ${quoteForShell(file)} --service ${quoteForShell(values.service as string)}${identityFlags}`;
  try {
    if (values.abort) {
      const aborted = await abortThroughService(service, options);
      if (!aborted) {
        io.stderr.write(`s3-presign: no interrupted upload of ${shown(file)} to ${shown(service.base)}\n`);
        return 1;
      }
      io.stdout.write(`aborted the upload of ${shown(aborted.key)}: S3 holds none of its parts\n`);
      return 0;
    }
    const result = await uploadThroughService(service, options);
    progress.end();
    if (values.json) {
      io.stdout.write(`${jsonForDisplay({ service: service.base, ...result })}\n`);
    } else {
      io.stdout.write(
        `uploaded ${result.size} bytes to ${shown(result.bucket)}/${shown(result.key)} in ${result.parts} part${result.parts === 1 ? '' : 's'}${result.resumedParts ? ` (${result.resumedParts} from the interrupted run)` : ''}, ETag ${shown(result.etag)}${result.checksum ? `, ${checksumDescription(result.checksum)}` : ''}\n`,
      );
    }
    return 0;
  } catch (error) {
    progress.end();
    if (error instanceof UploadInterrupted) {
      io.stderr.write(
        `s3-presign: interrupted; ${error.storedParts} of ${error.partCount} parts (${formatMiB(error.storedBytes)}) are stored.\n` +
          `  resume:  ${again}\n  discard: ${again} --abort\n`,
      );
      return 130;
    }
    if (error instanceof UploadError || error instanceof ServiceError) {
      io.stderr.write(`s3-presign: ${shown(error.message)}\n`);
      return 1;
    }
    if (interrupt.signal.aborted) {
      // Stopped before the upload existed at the service: nothing to resume or abort.
      io.stderr.write('s3-presign: interrupted before the upload started\n');
      return 130;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
}

export function quoteForShell(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
