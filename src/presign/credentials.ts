// The credentials that sign: where they came from and when they stop working, so the
// presigner can clamp a URL's life to theirs and /healthz can say what signs.
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';

export interface SigningCredentials extends AwsCredentialIdentity {
  /** Human-readable origin: environment, profile, web-identity, container, instance-metadata, static. */
  source: string;
}

export interface CredentialSource {
  /** What S3Client is given: the same provider, so the client and the checks see the same keys. */
  readonly provider: AwsCredentialIdentityProvider;
  get(): Promise<SigningCredentials>;
}

// The SDK tags resolved credentials with `$source` feature ids; names from @aws-sdk/types.
const SOURCE_NAMES: ReadonlyArray<[string, string]> = [
  ['CREDENTIALS_CODE', 'static'],
  ['CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN', 'web-identity (environment)'],
  ['CREDENTIALS_STS_ASSUME_ROLE_WEB_ID', 'web-identity'],
  ['CREDENTIALS_PROFILE_STS_WEB_ID_TOKEN', 'web-identity (profile)'],
  ['CREDENTIALS_ENV_VARS', 'environment'],
  ['CREDENTIALS_PROFILE_SSO', 'sso (profile)'],
  ['CREDENTIALS_SSO', 'sso'],
  ['CREDENTIALS_PROFILE_PROCESS', 'process (profile)'],
  ['CREDENTIALS_PROCESS', 'process'],
  ['CREDENTIALS_STS_ASSUME_ROLE', 'assume-role'],
  ['CREDENTIALS_PROFILE', 'profile'],
  ['CREDENTIALS_HTTP', 'container'],
  ['CREDENTIALS_IMDS', 'instance-metadata'],
];

function sourceName(identity: AwsCredentialIdentity, fallback: string): string {
  const tags = (identity as { $source?: Record<string, unknown> }).$source;
  if (!tags) return fallback;
  return SOURCE_NAMES.find(([tag]) => tag in tags)?.[1] ?? fallback;
}

/** Wraps a provider (the SDK's default chain, memoised and refreshed by the SDK). */
export function credentialSource(
  provider: AwsCredentialIdentityProvider,
  fallbackName = 'default-chain',
): CredentialSource {
  return {
    provider,
    async get() {
      const identity = await provider();
      return { ...identity, source: sourceName(identity, fallbackName) };
    },
  };
}

export function staticCredentialSource(identity: AwsCredentialIdentity, name = 'static'): CredentialSource {
  return credentialSource(async () => identity, name);
}
