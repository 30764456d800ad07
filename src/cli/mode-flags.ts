// The mode flags every signing or validating command takes, laid over the environment the
// service would read, and the credentials the CLI signs with.
import type { ParseArgsConfig } from 'node:util';
import { loadConfig, SIGV4_MAX_EXPIRES_SECONDS, type Config } from '../config/config.js';
import type { CredentialSource } from '../presign/credentials.js';
import type { PresignerBundle } from '../presign/create-presigner.js';
import { ConfigUsageError, UsageError } from './command.js';

export const MODE_OPTIONS = {
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

export type ModeFlags = {
  [K in keyof typeof MODE_OPTIONS]?: (typeof MODE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string;
};

type Environment = Readonly<Record<string, string | undefined>>;

/** The environment as the service would read it, with the flags laid over it. */
export function environmentWith(
  flags: ModeFlags,
  bucket: string | undefined,
  environment: Environment,
): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...environment };
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

/** The configuration for the flags; throws the usage error listing every problem. */
export function configFrom(
  flags: ModeFlags,
  environment: Environment,
  options: { bucket?: string; overrides?: Record<string, string>; requireBuckets?: boolean } = {},
): Config {
  const env = { ...environmentWith(flags, options.bucket, environment), ...options.overrides };
  const result = loadConfig(env, { requireBuckets: options.requireBuckets ?? false, requireCallers: false });
  if (!result.ok) throw new ConfigUsageError(result.problems);
  return result.config;
}

/**
 * The key pair in the CLI's environment when it holds one (the SDK chain's first link, read
 * from `env` rather than from the process), else the SDK's default chain. Local mode signs for
 * an embedded store that `npm start` runs, with the pair it drew at its start and printed;
 * there is no other to fall back on.
 */
export async function cliCredentials(config: Config, env: Environment): Promise<CredentialSource> {
  const { sdkChainCredentialSource } = await import('../presign/create-presigner.js');
  const { staticCredentialSource } = await import('../presign/credentials.js');
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const local = config.mode.kind === 'local';
  if (accessKeyId && secretAccessKey) {
    const sessionToken = env.AWS_SESSION_TOKEN || undefined;
    return staticCredentialSource(
      { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) },
      local ? 'embedded-s3' : 'environment',
    );
  }
  if (local) {
    throw new UsageError(
      "local mode signs with the embedded store's key pair, new at every start: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY to the pair `npm start` printed",
    );
  }
  return sdkChainCredentialSource();
}

/** The service's own Presigner (pinned client, validator) with the CLI's credentials. */
export async function signingFor(config: Config, env: Environment): Promise<PresignerBundle> {
  const credentials = await cliCredentials(config, env);
  const { createPresigner } = await import('../presign/create-presigner.js');
  return createPresigner(config, { credentials });
}
