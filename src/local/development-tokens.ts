// Local mode's development token issuer: a stand-in for an identity provider, so the frontend
// flow (a JWT, /uploads, /multipart, Uppy) can be tried on one machine. Its key pair is made at
// start and lives only in this process: a token outlives neither a restart nor its short
// lifetime, and no other service can verify one.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet } from 'jose';

/**
 * 15 minutes, like an identity provider's access token: long enough for a demo upload, short
 * enough that a copied token is soon useless. A page asks for a new one when it runs out.
 */
export const DEVELOPMENT_TOKEN_LIFETIME_SECONDS = 900;
/** The `iss` of every development token; no real identity provider uses a URN of ours. */
export const DEVELOPMENT_TOKEN_ISSUER = 'urn:s3-presign:local-development';
export const DEVELOPMENT_TOKEN_AUDIENCE = 's3-presign';
/** The caller id development tokens authenticate as (logs, rate limits). */
export const LOCAL_FRONTEND_ID = 'local-frontend';
/** What a development token's holder may do: a frontend whose keys sit under its own prefix. */
export const LOCAL_FRONTEND_POLICY = Object.freeze({
  operations: ['get', 'put'] as Array<'get' | 'put'>,
  keyPrefixes: ['users/{sub}/'],
});

const ALGORITHM = 'ES256';

export interface DevelopmentToken {
  token: string;
  sub: string;
  expiresAt: string;
}

export class DevelopmentTokenIssuer {
  readonly issuer = DEVELOPMENT_TOKEN_ISSUER;
  readonly audience = DEVELOPMENT_TOKEN_AUDIENCE;
  readonly algorithm = ALGORITHM;
  /** The public half, which the service's JWT verification holds instead of fetching a JWKS. */
  readonly keySet: JSONWebKeySet;
  readonly #privateKey: CryptoKey;
  readonly #keyId: string;
  readonly #now: () => Date;

  private constructor(privateKey: CryptoKey, keySet: JSONWebKeySet, keyId: string, now: () => Date) {
    this.#privateKey = privateKey;
    this.keySet = keySet;
    this.#keyId = keyId;
    this.#now = now;
  }

  static async create(now: () => Date = () => new Date()): Promise<DevelopmentTokenIssuer> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM);
    const keyId = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid: keyId, alg: ALGORITHM, use: 'sig' };
    return new DevelopmentTokenIssuer(privateKey, Object.freeze({ keys: [jwk] }), keyId, now);
  }

  /** A token for `subject`, which the caller has checked against SAFE_SUBJECT. */
  async issue(subject: string): Promise<DevelopmentToken> {
    const issuedAt = Math.floor(this.#now().getTime() / 1000);
    const expiresAt = issuedAt + DEVELOPMENT_TOKEN_LIFETIME_SECONDS;
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: ALGORITHM, kid: this.#keyId, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(subject)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(this.#privateKey);
    return { token, sub: subject, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }
}
