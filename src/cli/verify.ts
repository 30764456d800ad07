// `s3-presign verify URL`: the service's validator on any presigned URL or POST policy form.
import { readFile } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { validatePostForm } from '../verify/post-form-validator.js';
import { describeMode, validatePresignedUrl, validatorPolicy, type UrlExpectation } from '../verify/url-validator.js';
import { UsageError, type Command } from './command.js';
import { MODE_FLAGS } from './help.js';
import { configFrom, MODE_OPTIONS } from './mode-flags.js';

const OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string', multiple: true },
  fields: { type: 'string' },
  method: { type: 'string' },
  header: { type: 'string', multiple: true },
} as const satisfies ParseArgsConfig['options'];

export const verify: Command = {
  summary: 'validate a presigned URL or POST form against a mode',
  help: `Usage: s3-presign verify URL [--bucket B]… [--fields FILE] [--method GET|PUT] [--header 'NAME: VALUE']… [mode flags]

Validates any presigned URL (or, with --fields, a POST policy form) against a mode; exits 0
when it passes, else 1 with every failed check.
  --bucket B                 an allowlist (repeatable; else S3_BUCKETS; else any bucket)
  --fields FILE              the form's fields as a JSON object (boto3: json.dumps(form['fields']))
  --method GET|PUT           what a URL without x-id is for
  --header 'NAME: VALUE'     a header the client will send (repeatable)
  --json                     the report as JSON

${MODE_FLAGS}

Example:
  s3-presign verify 'https://my-bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256' --mode regional --region us-east-1`,

  async run(args, io) {
    const { values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
    if (positionals.length !== 1) throw new UsageError('verify takes exactly one URL');
    const config = configFrom(values, io.env, { bucket: values.bucket?.join(',') });
    // The operator's own check: a bucket allowlist only when one is given, as the service has S3_BUCKETS.
    const allowedBuckets = values.bucket !== undefined || io.env.S3_BUCKETS ? config.buckets : undefined;
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
      io.stdout.write(`${jsonForDisplay({ mode: config.mode.kind, ...report })}\n`);
    } else if (report.valid) {
      io.stdout.write(
        `valid under ${shown(describeMode(config.mode))}: bucket ${shown(report.bucket ?? '')}, key ${report.key === undefined ? '(named at upload)' : shown(report.key)}, expires ${report.expiresAt}\n`,
      );
    } else {
      io.stderr.write(`invalid under ${shown(describeMode(config.mode))}:\n`);
      for (const failure of report.failures) {
        const times = failure.count > 1 ? ` (${failure.count} times)` : '';
        io.stderr.write(`  ${failure.code}: ${shown(failure.message)}${times}\n`);
      }
    }
    return report.valid ? 0 : 1;
  },
};

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
