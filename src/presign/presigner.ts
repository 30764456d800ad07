// Mints presigned URLs through the pinned client and returns only those that pass the
// independent validator. An engine signs (src/presign/*-signer.ts); src/verify decides
// whether the result may leave.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { BucketAddressError, expectedLocation } from '../endpoint/expected-location.js';
import { objectKeyProblem } from '../endpoint/object-key.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { AppError } from '../errors.js';
import {
  validatePresignedUrl,
  type UrlExpectation,
  type ValidationReport,
  type ValidatorPolicy,
} from '../verify/url-validator.js';
import type { CredentialSource, SigningCredentials } from './credentials.js';
import { FastSigner } from './fast-signer.js';
import { SdkSigner } from './sdk-signer.js';
import type { UrlSigner } from './url-signer.js';

export type Operation = 'get' | 'put';

export interface PresignRequest {
  operation: Operation;
  bucket: string;
  key: string;
  expiresIn: number;
  contentType?: string | undefined;
  contentLength?: number | undefined;
  /** Base64 SHA-256 of the body; S3 refuses an upload whose bytes do not match. */
  checksumSha256?: string | undefined;
  responseContentDisposition?: string | undefined;
}

export interface PresignedUrl {
  url: string;
  method: 'GET' | 'PUT';
  /** Exactly the headers the client must send with the URL. */
  headers: Record<string, string>;
  expiresAt: Date;
  expiresIn: number;
  bucket: string;
  key: string;
  endpoint: { mode: EndpointMode['kind']; host: string };
}

export interface PresignerDependencies {
  mode: EndpointMode;
  s3: PinnedS3;
  credentials: CredentialSource;
  policy: ValidatorPolicy;
  /** The signing engine; defaults to the fast engine over `s3`, falling back to the SDK where it must. */
  signer?: UrlSigner;
  /** Told about every URL the validator refused, before the refusal is thrown. */
  onRejected?: (report: ValidationReport, request: PresignRequest) => void;
}

/** A URL must not outlive its credentials; this margin covers clock drift and transit. */
const CREDENTIAL_EXPIRY_MARGIN_SECONDS = 60;

export class Presigner {
  readonly #deps: PresignerDependencies;
  readonly #signer: UrlSigner;

  constructor(deps: PresignerDependencies) {
    this.#deps = deps;
    this.#signer = deps.signer ?? new FastSigner(deps.s3, { fallback: new SdkSigner(deps.s3) });
  }

  get engine(): UrlSigner['engine'] {
    return this.#signer.engine;
  }

  async presign(request: PresignRequest): Promise<PresignedUrl> {
    const { mode, policy } = this.#deps;
    const keyProblem = objectKeyProblem(request.key);
    if (keyProblem) throw new AppError('INVALID_KEY', `key ${keyProblem}`, { field: 'key' });
    let host: string;
    try {
      host = expectedLocation(mode, request.bucket).host;
    } catch (error) {
      if (error instanceof BucketAddressError) throw new AppError('INVALID_BUCKET', error.message, { field: 'bucket' });
      throw error;
    }
    if (!Number.isInteger(request.expiresIn) || request.expiresIn < 1 || request.expiresIn > policy.maxExpiresSeconds) {
      throw new AppError('INVALID_EXPIRES', `expiresIn must be 1..${policy.maxExpiresSeconds} seconds`, {
        field: 'expiresIn',
      });
    }

    let credentials = this.#deps.credentials.current?.();
    if (credentials === undefined) {
      try {
        credentials = await this.#deps.credentials.get();
      } catch (error) {
        throw new AppError('CREDENTIALS_UNAVAILABLE', 'no AWS credentials are available to sign with', {
          cause: error,
        });
      }
    }
    const signingDate = policy.now();
    const expiresIn = clampToCredentials(request.expiresIn, signingDate, credentials);
    const headers = requiredHeaders(request);
    let url: string;
    try {
      const signed = this.#signer.sign({
        operation: request.operation,
        bucket: request.bucket,
        key: request.key,
        expiresIn,
        signingDate,
        headers,
        responseContentDisposition: request.operation === 'get' ? request.responseContentDisposition : undefined,
        credentials,
      });
      url = typeof signed === 'string' ? signed : await signed;
    } catch (error) {
      throw new AppError('PRESIGN_FAILED', 'the S3 client could not presign this request', { cause: error });
    }

    const expectation: UrlExpectation = {
      bucket: request.bucket,
      key: request.key,
      signedHeaders: Object.keys(headers),
      queryParameters:
        request.operation === 'get' && request.responseContentDisposition !== undefined
          ? { 'response-content-disposition': request.responseContentDisposition }
          : {},
      accessKeyId: credentials.accessKeyId,
      temporaryCredentials: credentials.sessionToken !== undefined,
      credentialsExpireAt: credentials.expiration,
      fresh: true,
    };
    const report = validatePresignedUrl(url, policy, expectation);
    if (!report.valid) {
      this.#deps.onRejected?.(report, request);
      const [first] = report.failures;
      throw new AppError(
        first?.code ?? 'PRESIGN_FAILED',
        `the presigned URL failed the ${first?.code ?? 'validation'} check and was not returned`,
      );
    }
    return {
      url,
      method: request.operation === 'get' ? 'GET' : 'PUT',
      headers,
      expiresAt: new Date(signingDate.getTime() + expiresIn * 1000),
      expiresIn,
      bucket: request.bucket,
      key: request.key,
      endpoint: { mode: mode.kind, host },
    };
  }
}

function requiredHeaders(request: PresignRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.operation !== 'put') return headers;
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
  if (request.checksumSha256 !== undefined) headers['x-amz-checksum-sha256'] = request.checksumSha256;
  return headers;
}

function clampToCredentials(requested: number, signingDate: Date, credentials: SigningCredentials): number {
  if (!credentials.expiration) return requested;
  const remaining =
    Math.floor((credentials.expiration.getTime() - signingDate.getTime()) / 1000) - CREDENTIAL_EXPIRY_MARGIN_SECONDS;
  if (remaining < 1) {
    throw new AppError('CREDENTIALS_EXPIRED', 'the signing credentials expire too soon to issue a URL');
  }
  return Math.min(requested, remaining);
}
