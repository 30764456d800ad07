// Frontend callers: JWTs verified against the issuer's JWKS, with issuer and audience
// checked. The token's `sub` becomes part of key prefixes, so it must be safe there.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError } from '../errors.js';

export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface JwtIssuer<T> {
  /** Where the issuer publishes its key set, or the key set itself (local mode's development issuer). */
  jwks: URL | JSONWebKeySet;
  issuer: string;
  audience: string;
  algorithms: readonly JwtAlgorithm[];
  holder: T;
}

/**
 * No `/` (a subject `alice/x` would reach into user alice's prefix), no `.`/`..` segments,
 * nothing a URL or a log line would mangle. Covers the usual IdP subjects (`auth0|123`, UUIDs, emails).
 */
export const SAFE_SUBJECT = /^(?!\.{1,2}$)[A-Za-z0-9._@:|+=-]{1,128}$/;
/** What SAFE_SUBJECT allows, for a refusal that tells the caller what would pass. */
export const SAFE_SUBJECT_RULE = '1-128 of A-Z a-z 0-9 . _ @ : | + = -, and not "." or ".."';
const CLOCK_TOLERANCE_SECONDS = 30;

export class JwtVerifier<T> {
  readonly #issuers: ReadonlyArray<JwtIssuer<T> & { keys: JWTVerifyGetKey }>;

  constructor(issuers: ReadonlyArray<JwtIssuer<T>>) {
    // One JWKS client per URL: it caches keys and refetches (with a cooldown) on an unknown `kid`.
    const keySets = new Map<string, JWTVerifyGetKey>();
    this.#issuers = issuers.map((issuer) => {
      if (!(issuer.jwks instanceof URL)) return { ...issuer, keys: createLocalJWKSet(issuer.jwks) };
      const url = issuer.jwks.href;
      if (!keySets.has(url)) keySets.set(url, createRemoteJWKSet(issuer.jwks, { timeoutDuration: 3000 }));
      return { ...issuer, keys: keySets.get(url) as JWTVerifyGetKey };
    });
  }

  async verify(token: string): Promise<{ holder: T; subject: string }> {
    let claimedIssuer: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw new AppError('AUTH_INVALID', 'the bearer token is neither an API key nor a well-formed JWT');
    }
    const candidates = this.#issuers.filter((issuer) => issuer.issuer === claimedIssuer);
    if (candidates.length === 0) throw new AppError('AUTH_INVALID', 'the token is from an unknown issuer');

    let refusal: AppError | undefined;
    for (const candidate of candidates) {
      try {
        const { payload } = await jwtVerify(token, candidate.keys, {
          issuer: candidate.issuer,
          audience: candidate.audience,
          algorithms: [...candidate.algorithms],
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp'],
        });
        // jose checks that `sub` is present, not its type: 12345 or ["alice"] would pass the
        // pattern below once stringified, and end up in a key prefix.
        const subject = payload.sub;
        if (typeof subject !== 'string')
          throw new AppError('AUTH_INVALID', 'the token\'s "sub" claim must be a string');
        if (!SAFE_SUBJECT.test(subject)) {
          throw new AppError('AUTH_INVALID', 'the token subject cannot be used in a key prefix');
        }
        return { holder: candidate.holder, subject };
      } catch (error) {
        refusal = refusalOf(error);
        if (refusal.code === 'AUTH_UNAVAILABLE') throw refusal;
      }
    }
    throw refusal ?? new AppError('AUTH_INVALID', 'the token was refused');
  }
}

function refusalOf(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof errors.JWTExpired) return new AppError('AUTH_EXPIRED', 'the token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AppError('AUTH_INVALID', `the token's "${error.claim}" claim is not accepted`);
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new AppError('AUTH_INVALID', "the token's signing key is not in the issuer's key set");
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AppError('AUTH_INVALID', "the token's signing algorithm is not accepted");
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    isNetworkError(error) ||
    // jose's only plain JOSEError from a key-set fetch: the issuer answered, but not 200.
    (error instanceof errors.JOSEError && error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set/.test(error.message))
  ) {
    return new AppError('AUTH_UNAVAILABLE', "the issuer's key set could not be fetched", { cause: error });
  }
  return new AppError('AUTH_INVALID', 'the token signature or format is invalid');
}

function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && /fetch failed/i.test(error.message);
}
