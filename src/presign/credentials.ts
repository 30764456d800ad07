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
  /** Never resolves to credentials that have already expired. */
  get(): Promise<SigningCredentials>;
  /**
   * The credentials held, when nothing about them needs doing (no refresh due): what get()
   * would resolve to, without a promise. Undefined means "call get()".
   */
  current?(): SigningCredentials | undefined;
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

export interface CredentialRefreshOptions {
  /** From this much remaining life on, fetch new credentials in the background. Default 10 minutes. */
  refreshAheadMs?: number;
  /**
   * Below this much remaining life, a request waits for new credentials rather than sign with
   * the old ones. Default 5 minutes: instance metadata and ECS rotate at least that early.
   */
  waitBelowMs?: number;
  /** After a refresh that failed or brought no longer-lived credentials, wait before the next. Default 10 s. */
  retryAfterMs?: number;
  /**
   * A provider that has not answered by then counts as failed. Default 5 s: requests that wait
   * for credentials (the first, or near expiry) answer 503 CREDENTIALS_UNAVAILABLE by then
   * instead of queueing behind a hung metadata endpoint. The SDK's own container provider
   * retries for longer than that.
   */
  fetchTimeoutMs?: number;
  now?: () => number;
}

class CredentialsExpiredError extends Error {
  override name = 'CredentialsExpiredError';
}

class CredentialsTimeoutError extends Error {
  override name = 'CredentialsTimeoutError';
}

function answeredWithin<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new CredentialsTimeoutError(`the credential provider did not answer within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Wraps a provider (the SDK's default chain) in a cache that refreshes ahead of the
 * credentials' `expiration`. The SDK's own chain starts its refresh 5 minutes before expiry
 * but keeps handing out the old credentials, however close to expiring, while that refresh
 * runs or after it fails. Here a URL is never signed with credentials past their expiry: near
 * the end they are waited for, and when they cannot be had, `get()` fails.
 */
export function credentialSource(
  provider: AwsCredentialIdentityProvider,
  fallbackName = 'default-chain',
  options: CredentialRefreshOptions = {},
): CredentialSource {
  const refreshAheadMs = options.refreshAheadMs ?? 10 * 60_000;
  const waitBelowMs = Math.min(options.waitBelowMs ?? 5 * 60_000, refreshAheadMs);
  const retryAfterMs = options.retryAfterMs ?? 10_000;
  const fetchTimeoutMs = options.fetchTimeoutMs ?? 5_000;
  const now = options.now ?? Date.now;

  let current: SigningCredentials | undefined;
  let pending: Promise<SigningCredentials> | undefined;
  let nextAttemptAt = 0;

  const fetchFresh = async (): Promise<SigningCredentials> => {
    try {
      // forceRefresh: the SDK's memoised chain would otherwise return the same cached set
      // until its own 5-minute threshold.
      // A call that answers after the timeout is dropped: the next refresh asks again.
      const call = Promise.resolve().then(() => provider(current ? { forceRefresh: true } : undefined));
      call.catch(() => undefined);
      const identity = await answeredWithin(call, fetchTimeoutMs);
      if (typeof identity?.accessKeyId !== 'string' || typeof identity.secretAccessKey !== 'string') {
        throw new TypeError('the credential provider returned no access key and secret');
      }
      const fetchedAt = now();
      const fresh: SigningCredentials = { ...identity, source: sourceName(identity, fallbackName) };
      const freshExpiry = fresh.expiration?.getTime() ?? Infinity;
      if (freshExpiry <= fetchedAt) {
        throw new CredentialsExpiredError('the credential provider returned credentials that have already expired');
      }
      // A provider may hand back the set it already gave until it rotates it; keep whichever lives longer.
      const heldExpiry = current?.expiration?.getTime() ?? Infinity;
      if (current === undefined || freshExpiry >= heldExpiry) current = fresh;
      if ((current.expiration?.getTime() ?? Infinity) - fetchedAt <= refreshAheadMs) {
        nextAttemptAt = fetchedAt + retryAfterMs;
      }
      return current;
    } catch (error) {
      nextAttemptAt = now() + retryAfterMs;
      throw error;
    }
  };

  /** One fetch at a time; every caller meanwhile shares it. */
  const refresh = (): Promise<SigningCredentials> => {
    if (pending) return pending;
    const attempt = fetchFresh();
    pending = attempt;
    const settled = () => {
      if (pending === attempt) pending = undefined;
    };
    attempt.then(settled, settled);
    return attempt;
  };

  const get = async (): Promise<SigningCredentials> => {
    const held = current;
    if (held) {
      const expiry = held.expiration?.getTime();
      if (expiry === undefined) return held;
      const at = now();
      const remaining = expiry - at;
      if (remaining > refreshAheadMs) return held;
      const mayRetry = pending === undefined && at >= nextAttemptAt;
      if (remaining > waitBelowMs) {
        // Still long-lived enough: sign with them now, and have new ones ready before they are needed.
        if (mayRetry) refresh().catch(() => undefined);
        return held;
      }
      if (remaining > 0) {
        if (pending) return pending.catch(() => validOrThrow(held, now()));
        if (!mayRetry) return held;
        return refresh().catch(() => validOrThrow(held, now()));
      }
    }
    return refresh();
  };

  const currentCredentials = (): SigningCredentials | undefined => {
    const held = current;
    if (held === undefined) return undefined;
    const expiry = held.expiration?.getTime();
    return expiry === undefined || expiry - now() > refreshAheadMs ? held : undefined;
  };

  return {
    provider: async () => get(),
    get,
    current: currentCredentials,
  };
}

function validOrThrow(held: SigningCredentials, at: number): SigningCredentials {
  if ((held.expiration?.getTime() ?? Infinity) > at) return held;
  throw new CredentialsExpiredError('the signing credentials expired and could not be refreshed');
}

/**
 * Fixed keys (the embedded server's, a test's). Nothing can refresh them, so nothing here
 * judges their expiry: the presigner clamps or refuses against its own clock.
 */
export function staticCredentialSource(identity: AwsCredentialIdentity, name = 'static'): CredentialSource {
  // One object for the life of the source: nothing to copy on every request.
  const credentials: SigningCredentials = Object.freeze({ ...identity, source: sourceName(identity, name) });
  return {
    provider: async () => identity,
    get: async () => credentials,
    current: () => credentials,
  };
}
