// `s3-presign keygen`: a new API key, shown once, and its AUTH_CLIENTS_FILE entry (the hash).
import { parseArgs } from 'node:util';
import { UsageError, type Command } from './command.js';

export const keygen: Command = {
  summary: 'make an API key and its clients-file entry',
  help: `Usage: s3-presign keygen [--id NAME]

Prints a new API key (once) and its entry for AUTH_CLIENTS_FILE (only the hash is stored).
  --id NAME                  the caller's id, 1-64 of A-Z a-z 0-9 . _ - (default my-service)

Example:
  s3-presign keygen --id billing-service`,

  async run(args, io) {
    const { values } = parseArgs({ args, options: { id: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
    const id = values.id ?? 'my-service';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw new UsageError('--id must be 1-64 of A-Z a-z 0-9 . _ -');
    const { generateApiKey, hashApiKey } = await import('../auth/api-keys.js');
    const key = generateApiKey();
    io.stdout.write(`API key for ${id} (shown once: hand it to the service as a secret):
  ${key}

Entry for AUTH_CLIENTS_FILE (only the hash is stored; keep the quotes, or YAML may read it as a number):
  - id: ${id}
    apiKeySha256: '${hashApiKey(key)}'
    policy:
      operations: [get, put]
      keyPrefixes: ['${id}/']
`);
    return 0;
  },
};
