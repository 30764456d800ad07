#!/usr/bin/env node
// s3-presign: mint or verify presigned URLs from a shell, with the service's own
// configuration rules and validator. Flags override the environment.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { formatConfigProblems, loadConfig, SIGV4_MAX_EXPIRES_SECONDS, type Config } from './config/config.js';
import { escapeControlCharacters as shown, jsonForDisplay } from './control-characters.js';
import { objectKeyProblem } from './endpoint/object-key.js';
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_API_NAMES,
  verifiedChecksumsSetting,
  type ChecksumAlgorithm,
} from './endpoint/checksum-algorithms.js';
import { isAppError } from './errors.js';
import { formatMiB } from './cli/progress.js';
import { COMMAND_HELP, isCommand, USAGE, type CommandName } from './cli/help.js';
import { validatePostForm } from './verify/post-form-validator.js';
import { describeMode, validatePresignedUrl, validatorPolicy, type UrlExpectation } from './verify/url-validator.js';

const MODE_OPTIONS = {
  mode: { type: 'string' },
  region: { type: 'string' },
  fips: { type: 'boolean' },
  dualstack: { type: 'boolean' },
  'path-style': { type: 'boolean' },
  endpoint: { type: 'string' },
  'vpce-dns': { type: 'string' },
  'allow-http': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

const URL_OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string' },
  key: { type: 'string' },
  operation: { type: 'string' },
  expires: { type: 'string' },
  'content-type': { type: 'string' },
  'content-length': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

const UPLOAD_OPTIONS = {
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

const DOWNLOAD_OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string' },
  key: { type: 'string' },
  expires: { type: 'string' },
  service: { type: 'string' },
  'token-file': { type: 'string' },
  'require-checksum': { type: 'boolean' },
  progress: { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

const VERIFY_OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string', multiple: true },
  fields: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

class UsageError extends Error {}

/** The configuration's problems, one per line; each may quote a flag or variable as given. */
class ConfigUsageError extends UsageError {
  constructor(readonly problems: readonly string[]) {
    super(formatConfigProblems(problems));
  }
}

type ModeFlags = {
  [K in keyof typeof MODE_OPTIONS]?: (typeof MODE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

/** The environment as the service would read it, with the flags laid over it. */
function environmentWith(flags: ModeFlags, bucket: string | undefined): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  const set = (name: string, value: string | boolean | undefined) => {
    if (value !== undefined) env[name] = String(value);
  };
  set('S3_ENDPOINT_MODE', flags.mode);
  set('S3_REGION', flags.region);
  set('S3_USE_FIPS', flags.fips);
  set('S3_USE_DUALSTACK', flags.dualstack);
  set('S3_FORCE_PATH_STYLE', flags['path-style']);
  set('S3_ENDPOINT_URL', flags.endpoint);
  set('S3_VPCE_DNS_NAME', flags['vpce-dns']);
  set('S3_ALLOW_HTTP', flags['allow-http']);
  // The operator's own credentials sign: no allowlist, and S3's own limit on expiry.
  set('S3_BUCKETS', bucket);
  env.PRESIGN_MAX_EXPIRES ??= String(SIGV4_MAX_EXPIRES_SECONDS);
  return env;
}

function configFrom(flags: ModeFlags, bucket?: string, overrides: Record<string, string> = {}): Config {
  const env = { ...environmentWith(flags, bucket), ...overrides };
  const result = loadConfig(env, { requireBuckets: false, requireCallers: false });
  if (!result.ok) throw new ConfigUsageError(result.problems);
  return result.config;
}

/**
 * Local mode signs for an embedded store that `npm start` runs, with the key pair it drew at
 * its start and printed; there is no other to fall back on.
 */
function requireLocalKeyPair(config: Config): void {
  if (config.mode.kind !== 'local') return;
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) {
    throw new UsageError(
      "local mode signs with the embedded store's key pair, new at every start: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the pair `npm start` printed",
    );
  }
}

function wholeNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got "${value}"`);
  return Number(value);
}

async function urlCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: URL_OPTIONS, strict: true });
  if (values.help) return help('url');
  if (!values.bucket) throw new UsageError('--bucket is required');
  if (values.key === undefined) throw new UsageError('--key is required');
  const operation = values.operation ?? 'get';
  if (operation !== 'get' && operation !== 'put')
    throw new UsageError(`--operation must be get or put, got "${operation}"`);
  const config = configFrom(values, values.bucket);
  requireLocalKeyPair(config);

  const { createPresigner } = await import('./presign/create-presigner.js');
  const { presigner, close } = await createPresigner(config);
  try {
    const presigned = await presigner.presign({
      operation,
      bucket: values.bucket,
      key: values.key,
      expiresIn: wholeNumber('expires', values.expires) ?? config.presign.defaultExpiresSeconds,
      contentType: values['content-type'],
      contentLength: wholeNumber('content-length', values['content-length']),
    });
    if (values.json) {
      process.stdout.write(`${jsonForDisplay({ ...presigned, expiresAt: presigned.expiresAt.toISOString() })}\n`);
    } else {
      process.stdout.write(`${shown(presigned.url)}\n`);
    }
    return 0;
  } finally {
    close();
  }
}

async function uploadCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: UPLOAD_OPTIONS, strict: true, allowPositionals: true });
  if (values.help) return help('upload');
  if (positionals.length !== 1) throw new UsageError('upload takes exactly one FILE');
  if (values.service !== undefined) return uploadThroughServiceCommand(positionals[0] as string, values);
  for (const flag of ['token-file', 'abort'] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} only applies with --service`);
  }
  if (values.key === undefined) throw new UsageError('--key is required');
  const config = configFrom(values, values.bucket);
  // S3_BUCKETS' first, or local mode's default bucket, as the service picks.
  const bucket = values.bucket ?? config.buckets[0];
  if (!bucket) throw new UsageError('--bucket is required (or S3_BUCKETS)');
  requireLocalKeyPair(config);
  const upload = await import('./upload-clients/cli-upload.js');
  const { createPresigner } = await import('./presign/create-presigner.js');
  const signing = await createPresigner(config);
  const interrupt = interruptSignal();
  // A progress line on a terminal (or with --progress): a pipe or a log file gets the result alone.
  const progress =
    process.stderr.isTTY || values.progress
      ? (sent: number, total: number, detail: string) =>
          process.stderr.write(
            `\r\x1b[K${formatMiB(sent)} of ${formatMiB(total)} (${total === 0 ? 100 : Math.floor((sent / total) * 100)}%), ${detail}`,
          )
      : undefined;
  try {
    const result = await upload.uploadFile(signing, {
      file: positionals[0] as string,
      bucket,
      key: values.key,
      contentType: values['content-type'] ?? 'application/octet-stream',
      expiresIn: wholeNumber('expires', values.expires) ?? config.presign.defaultExpiresSeconds,
      multipartThreshold:
        wholeNumber('multipart-threshold', values['multipart-threshold']) ?? upload.DEFAULT_MULTIPART_THRESHOLD,
      partSize: wholeNumber('part-size', values['part-size']) ?? upload.DEFAULT_PART_BYTES,
      checksumAlgorithm: uploadChecksum(values['checksum-algorithm'], config.store.verifiedChecksums),
      onProgress: progress,
      signal: interrupt.signal,
    });
    if (progress) process.stderr.write('\n');
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ mode: config.mode.kind, ...result }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `uploaded ${result.size} bytes to ${result.bucket}/${result.key} in ${result.parts} part${result.parts === 1 ? '' : 's'}, ETag ${result.etag}${result.checksum ? `, ${checksumDescription(result.checksum)}` : ''}\n`,
      );
    }
    return 0;
  } catch (error) {
    if (progress) process.stderr.write('\n');
    if (interrupt.signal.aborted) {
      process.stderr.write('s3-presign: interrupted; the upload was aborted and S3 keeps none of it\n');
      return 130;
    }
    if (error instanceof upload.UploadError) {
      process.stderr.write(`s3-presign: ${error.message}\n`);
      return 1;
    }
    if (error instanceof Error && '$metadata' in error) {
      // An S3 refusal from the pinned client (create or complete): its code, not a stack.
      process.stderr.write(`s3-presign: S3 refused the upload: ${error.name}\n`);
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
async function serviceToken(tokenFile: string | undefined): Promise<string> {
  if (tokenFile !== undefined) {
    const text = await readFile(tokenFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`--token-file: cannot read ${tokenFile} (${error.code})`);
    });
    const token = text.trim();
    if (token === '' || /\s/.test(token)) throw new UsageError(`--token-file: ${tokenFile} must hold one token`);
    return token;
  }
  const token = process.env.S3_PRESIGN_TOKEN?.trim();
  if (!token) {
    throw new UsageError(
      '--service needs a token (an API key or a JWT): set S3_PRESIGN_TOKEN or pass --token-file FILE',
    );
  }
  return token;
}

/** Ctrl-C aborts the signal once (a clean stop); a second Ctrl-C ends the process at once. */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onInterrupt = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new Error('interrupted'));
  };
  process.on('SIGINT', onInterrupt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onInterrupt) };
}

type UploadValues = ReturnType<typeof parseArgs<{ options: typeof UPLOAD_OPTIONS; allowPositionals: true }>>['values'];

async function uploadThroughServiceCommand(file: string, values: UploadValues): Promise<number> {
  // The service picks the bucket, the key and the URLs' lifetime, and signs with its own route.
  for (const flag of ['key', 'bucket', 'expires', 'multipart-threshold', ...Object.keys(MODE_OPTIONS)] as const) {
    if (flag !== 'json' && flag !== 'help' && values[flag as keyof UploadValues] !== undefined) {
      throw new UsageError(`--${flag} does not apply with --service: the service names the key and signs the URLs`);
    }
  }
  const { serviceClient, ServiceError } = await import('./cli/service-client.js');
  const { abortThroughService, uploadThroughService, UploadError, UploadInterrupted } =
    await import('./cli/service-upload.js');
  const { progressOn } = await import('./cli/progress.js');
  const { stateDirectory } = await import('./cli/state.js');
  let service;
  try {
    service = serviceClient(values.service as string, await serviceToken(values['token-file']));
  } catch (error) {
    throw error instanceof ServiceError ? new UsageError(error.message) : error;
  }
  const progress = progressOn(process.stderr, values.progress);
  const interrupt = interruptSignal();
  const options = {
    file,
    contentType: values['content-type'] ?? 'application/octet-stream',
    partSize: wholeNumber('part-size', values['part-size']),
    checksumAlgorithm: uploadChecksum(values['checksum-algorithm'], undefined),
    checksumNamed: values['checksum-algorithm'] !== undefined,
    stateDirectory: stateDirectory(process.env),
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
        process.stderr.write(`s3-presign: no interrupted upload of ${shown(file)} to ${shown(service.base)}\n`);
        return 1;
      }
      process.stdout.write(`aborted the upload of ${shown(aborted.key)}: S3 holds none of its parts\n`);
      return 0;
    }
    const result = await uploadThroughService(service, options);
    progress.end();
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ service: service.base, ...result }, null, 2)}\n`);
    } else {
      process.stdout.write(
        `uploaded ${result.size} bytes to ${shown(result.bucket)}/${shown(result.key)} in ${result.parts} part${result.parts === 1 ? '' : 's'}${result.resumedParts ? ` (${result.resumedParts} from the interrupted run)` : ''}, ETag ${shown(result.etag)}${result.checksum ? `, ${checksumDescription(result.checksum)}` : ''}\n`,
      );
    }
    return 0;
  } catch (error) {
    progress.end();
    if (error instanceof UploadInterrupted) {
      process.stderr.write(
        `s3-presign: interrupted; ${error.storedParts} of ${error.partCount} parts (${formatMiB(error.storedBytes)}) are stored.\n` +
          `  resume:  ${again}\n  discard: ${again} --abort\n`,
      );
      return 130;
    }
    if (error instanceof UploadError || error instanceof ServiceError) {
      process.stderr.write(`s3-presign: ${shown(error.message)}\n`);
      return 1;
    }
    if (interrupt.signal.aborted) {
      // Stopped before the upload existed at the service: nothing to resume or abort.
      process.stderr.write('s3-presign: interrupted before the upload started\n');
      return 130;
    }
    throw error;
  } finally {
    interrupt.dispose();
  }
}

async function downloadCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: DOWNLOAD_OPTIONS, strict: true, allowPositionals: true });
  if (values.help) return help('download');
  if (values.key === undefined) throw new UsageError('--key is required');
  if (positionals.length > 1) throw new UsageError('download takes at most one DEST (a file or a directory)');
  const { downloadCommand: download } = await import('./cli/download.js');
  const options = {
    key: values.key,
    destination: positionals[0],
    requireChecksum: values['require-checksum'] ?? false,
    progress: values.progress,
    json: values.json,
    again: `s3-presign download ${args.map(quoteForShell).join(' ')}`,
  };
  const interrupt = interruptSignal();
  const io = { env: process.env, stdout: process.stdout, stderr: process.stderr, signal: interrupt.signal };
  try {
    if (values.service !== undefined) {
      for (const flag of ['bucket', 'expires', ...Object.keys(MODE_OPTIONS)] as const) {
        if (flag !== 'json' && flag !== 'help' && values[flag as keyof typeof values] !== undefined) {
          throw new UsageError(
            `--${flag} does not apply with --service: the service picks the bucket and signs the URL`,
          );
        }
      }
      const { serviceClient, ServiceError } = await import('./cli/service-client.js');
      let service;
      try {
        service = serviceClient(values.service, await serviceToken(values['token-file']));
      } catch (error) {
        throw error instanceof ServiceError ? new UsageError(error.message) : error;
      }
      return await download({ ...options, signer: { kind: 'service', service } }, io);
    }
    if (values['token-file'] !== undefined) throw new UsageError('--token-file only applies with --service');
    const config = configFrom(values, values.bucket);
    const bucket = values.bucket ?? config.buckets[0];
    if (!bucket) throw new UsageError('--bucket is required (or S3_BUCKETS)');
    requireLocalKeyPair(config);
    const { createPresigner } = await import('./presign/create-presigner.js');
    const signing = await createPresigner(config);
    try {
      const expiresIn = wholeNumber('expires', values.expires) ?? config.presign.defaultExpiresSeconds;
      return await download({ ...options, signer: { kind: 'aws', signing, bucket, expiresIn } }, io);
    } finally {
      signing.close();
    }
  } finally {
    interrupt.dispose();
  }
}

function quoteForShell(text: string): string {
  return /^[\w./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

async function verifyCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: VERIFY_OPTIONS, strict: true, allowPositionals: true });
  if (values.help) return help('verify');
  if (positionals.length !== 1) throw new UsageError('verify takes exactly one URL');
  const config = configFrom(values, values.bucket?.join(','));
  // The operator's own check: a bucket allowlist only when one is given, as the service has S3_BUCKETS.
  const allowedBuckets = values.bucket !== undefined || process.env.S3_BUCKETS ? config.buckets : undefined;
  if (values.fields !== undefined && (values.method !== undefined || values.header !== undefined)) {
    throw new UsageError('--method and --header are for a URL; a form (--fields) says what it is itself');
  }
  const expectation: UrlExpectation = { allowedBuckets };
  if (values.method !== undefined) {
    const method = values.method.toUpperCase();
    if (method !== 'GET' && method !== 'PUT')
      throw new UsageError(`--method must be GET or PUT, got "${values.method}"`);
    expectation.method = method;
  }
  if (values.header !== undefined) {
    // The headers the client will send: signed values are not in the URL, so the encryption
    // ones are checked against the configuration only when given.
    const headers: Record<string, string> = {};
    for (const header of values.header) {
      const colon = header.indexOf(':');
      if (colon < 1) throw new UsageError(`--header must be "NAME: VALUE", got "${header}"`);
      headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
    }
    expectation.headers = headers;
  }
  const url = positionals[0] as string;
  const policy = validatorPolicy(config);
  const report =
    values.fields === undefined
      ? validatePresignedUrl(url, policy, expectation)
      : validatePostForm({ url, fields: await readFormFields(values.fields) }, policy, { allowedBuckets });
  // Everything below quotes the URL (its key, its decoded parameters): printed escaped, so a
  // crafted URL cannot drive the terminal or forge a line of output.
  if (values.json) {
    process.stdout.write(`${jsonForDisplay({ mode: config.mode.kind, ...report })}\n`);
  } else if (report.valid) {
    process.stdout.write(
      `valid under ${shown(describeMode(config.mode))}: bucket ${shown(report.bucket ?? '')}, key ${report.key === undefined ? '(named at upload)' : shown(report.key)}, expires ${report.expiresAt}\n`,
    );
  } else {
    process.stderr.write(`invalid under ${shown(describeMode(config.mode))}:\n`);
    for (const failure of report.failures) {
      const times = failure.count > 1 ? ` (${failure.count} times)` : '';
      process.stderr.write(`  ${failure.code}: ${shown(failure.message)}${times}\n`);
    }
  }
  return report.valid ? 0 : 1;
}

/** `--fields FILE`: a POST policy form's fields, a JSON object of strings (boto3: `json.dumps(form['fields'])`). */
async function readFormFields(file: string): Promise<Record<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--fields: cannot read ${file} (${(error as NodeJS.ErrnoException).code})`);
  }
  let fields: unknown;
  try {
    fields = JSON.parse(text);
  } catch {
    throw new UsageError(`--fields: ${file} is not JSON`);
  }
  if (
    typeof fields !== 'object' ||
    fields === null ||
    Array.isArray(fields) ||
    !Object.values(fields).every((value) => typeof value === 'string')
  ) {
    throw new UsageError(
      `--fields: ${file} must hold the form's fields, a JSON object of strings (from boto3: json.dumps(form['fields']))`,
    );
  }
  return fields as Record<string, string>;
}

async function doctorCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...MODE_OPTIONS,
      bucket: { type: 'string' },
      'vpce-id': { type: 'string', multiple: true },
      'service-role-arn': { type: 'string' },
      'probe-store': { type: 'boolean' },
      'probe-prefix': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) return help('doctor');
  const prefix = values['probe-prefix'];
  if (prefix !== undefined) {
    if (!values['probe-store']) throw new UsageError('--probe-prefix only applies with --probe-store');
    const problem = objectKeyProblem(`${prefix}probe`);
    if (problem) throw new UsageError(`--probe-prefix: a key under it ${problem}`);
  }
  const result = loadConfig(environmentWith(values, values.bucket ?? process.env.S3_BUCKETS), {
    requireCallers: false,
  });
  if (!result.ok) throw new ConfigUsageError(result.problems);
  requireLocalKeyPair(result.config);
  const serviceRoleArn = values['service-role-arn'];
  if (serviceRoleArn !== undefined) await checkDoctorRole(serviceRoleArn, result.config);
  const { runDoctor } = await import('./health/doctor.js');
  const { DEFAULT_STORE_PROBE_PREFIX } = await import('./health/store-probe.js');
  return runDoctor(result.config, {
    json: values.json ?? false,
    env: process.env,
    vpceIds: values['vpce-id'] ?? [],
    serviceRoleArn: values['service-role-arn'],
    probeStore: values['probe-store'] ? { prefix: prefix ?? DEFAULT_STORE_PROBE_PREFIX } : undefined,
  });
}

/** doctor's --service-role-arn is there for the role's path: a session ARN has none. */
async function checkDoctorRole(arn: string, config: Config): Promise<void> {
  const { roleOf, serviceRoleProblem } = await import('./policy/principal-arn.js');
  const partition = 'partition' in config.mode ? config.mode.partition.name : 'aws';
  const problem = serviceRoleProblem({ arn, source: '--service-role-arn' }, partition);
  if (problem) throw new UsageError(problem);
  if (roleOf(arn)?.path === undefined) {
    throw new UsageError(
      `--service-role-arn "${arn}" is a role session, which does not say the role's path: pass the role's ARN (aws iam get-role --role-name NAME --query Role.Arn)`,
    );
  }
}

async function policyCommand(args: string[]): Promise<number> {
  const { POLICY_OPTIONS, PolicyInputError, runPolicyCommand } = await import('./policy/policy-command.js');
  const { values } = parseArgs({ args, options: { ...MODE_OPTIONS, ...POLICY_OPTIONS }, strict: true });
  if (values.help) return help('policy');
  // --kms-key-arn is S3_SSE_KMS_KEY_ID for this run, and implies SSE-KMS unless S3_SSE says otherwise.
  const kmsKeyArn = values['kms-key-arn'];
  const sse: Record<string, string> =
    kmsKeyArn === undefined ? {} : { S3_SSE_KMS_KEY_ID: kmsKeyArn, S3_SSE: process.env.S3_SSE || 'aws:kms' };
  const config = configFrom(values, values.bucket?.join(',') ?? process.env.S3_BUCKETS, sse);
  try {
    return await runPolicyCommand(config, values, process.env);
  } catch (error) {
    throw error instanceof PolicyInputError ? new UsageError(error.message) : error;
  }
}

async function keygenCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { id: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return help('keygen');
  const id = values.id ?? 'my-service';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new UsageError('--id must be 1-64 of A-Z a-z 0-9 . _ -');
  const { generateApiKey, hashApiKey } = await import('./auth/api-keys.js');
  const key = generateApiKey();
  process.stdout.write(`API key for ${id} (shown once: hand it to the service as a secret):
  ${key}

Entry for AUTH_CLIENTS_FILE (only the hash is stored; keep the quotes, or YAML may read it as a number):
  - id: ${id}
    apiKeySha256: '${hashApiKey(key)}'
    policy:
      operations: [get, put]
      keyPrefixes: ['${id}/']
`);
  return 0;
}

async function auditCommand(args: string[]): Promise<number> {
  const { AUDIT_OPTIONS, AuditInputError, runAuditCommand } = await import('./audit/audit-command.js');
  const { values } = parseArgs({ args, options: AUDIT_OPTIONS, strict: true });
  if (values.help) return help('audit');
  try {
    return await runAuditCommand(values);
  } catch (error) {
    throw error instanceof AuditInputError ? new UsageError(error.message) : error;
  }
}

function help(command: CommandName): number {
  process.stdout.write(`${COMMAND_HELP[command]}\n`);
  return 0;
}

function usage(code: number): number {
  (code === 0 ? process.stdout : process.stderr).write(`${USAGE}\n`);
  return code;
}

async function main(argv: string[]): Promise<number> {
  // The SDK warns on every run that releases after January 2027 need Node 22; the
  // versions are pinned and docs/runtime.md says so, so the CLI's output stays clean.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'url':
        return await urlCommand(rest);
      case 'upload':
        return await uploadCommand(rest);
      case 'download':
        return await downloadCommand(rest);
      case 'verify':
        return await verifyCommand(rest);
      case 'doctor':
        return await doctorCommand(rest);
      case 'policy':
        return await policyCommand(rest);
      case 'keygen':
        return await keygenCommand(rest);
      case 'audit':
        return await auditCommand(rest);
      case 'help':
        if (isCommand(rest[0])) return help(rest[0]);
        return usage(0);
      case undefined:
      case '--help':
      case '-h':
        return usage(command === undefined ? 2 : 0);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || isAppError(error)) {
      const text =
        error instanceof ConfigUsageError ? formatConfigProblems(error.problems.map(shown)) : shown(error.message);
      process.stderr.write(`s3-presign: ${text}\n`);
      return error instanceof UsageError ? 2 : 1;
    }
    if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      const hint = isCommand(command) ? `Run "s3-presign ${command} --help" for its flags.` : USAGE;
      process.stderr.write(`s3-presign: ${shown(error.message)}\n${hint}\n`);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
