// `s3-presign url`: one validated presigned URL, minted with the operator's credentials.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { escapeControlCharacters as shown, jsonForDisplay } from '../control-characters.js';
import { UsageError, wholeNumber, type Command } from './command.js';
import { MODE_FLAGS } from './help.js';
import { configFrom, MODE_OPTIONS, signingFor } from './mode-flags.js';

const OPTIONS = {
  ...MODE_OPTIONS,
  bucket: { type: 'string' },
  key: { type: 'string' },
  operation: { type: 'string' },
  expires: { type: 'string' },
  'content-type': { type: 'string' },
  'content-length': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const url: Command = {
  summary: 'mint one validated presigned URL',
  help: `Usage: s3-presign url --bucket B --key K [options] [mode flags]

Mints one validated presigned URL with your AWS credentials and prints it.
  --bucket B                 the bucket (no allowlist: your credentials sign)
  --key K                    the object key
  --operation get|put        default get
  --expires N                seconds, default PRESIGN_DEFAULT_EXPIRES
  --content-type T           (put) the Content-Type the URL signs
  --content-length N         (put) the exact size the URL signs
  --json                     the same object as POST /presign

${MODE_FLAGS}

Example:
  s3-presign url --bucket my-bucket --key reports/q3.pdf --mode regional --region eu-west-1`,

  async run(args, io) {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true });
    if (!values.bucket) throw new UsageError('--bucket is required');
    if (values.key === undefined) throw new UsageError('--key is required');
    const operation = values.operation ?? 'get';
    if (operation !== 'get' && operation !== 'put')
      throw new UsageError(`--operation must be get or put, got "${operation}"`);
    const config = configFrom(values, io.env, { bucket: values.bucket });
    const { presigner, close } = await signingFor(config, io.env);
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
        io.stdout.write(`${jsonForDisplay({ ...presigned, expiresAt: presigned.expiresAt.toISOString() })}\n`);
      } else {
        io.stdout.write(`${shown(presigned.url)}\n`);
      }
      return 0;
    } finally {
      close();
    }
  },
};
