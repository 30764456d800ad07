// Mints presigned URLs through the pinned client and returns only those that pass the
// independent validator. An engine signs (src/presign/*-signer.ts); src/verify decides
// whether the result may leave.
import {
  CHECKSUM_ALGORITHMS,
  CHECKSUM_MODE_HEADER,
  checksumHeader,
  requestChecksum,
  type ChecksumFields,
  type RequestChecksum,
} from '../endpoint/checksum-algorithms.js';
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import { BucketAddressError, expectedLocation } from '../endpoint/expected-location.js';
import { objectKeyProblem } from '../endpoint/object-key.js';
import type { ObjectRequest, Operation } from '../endpoint/object-operations.js';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { AppError, URL_CHECK_CODES, type ErrorCode } from '../errors.js';
import {
  validatePresignedUrl,
  type UrlExpectation,
  type ValidationReport,
  type ValidatorPolicy,
} from '../verify/url-validator.js';
import { validatePostPolicy } from '../verify/post-policy-validator.js';
import type { CredentialSource, SigningCredentials } from './credentials.js';
import { FastSigner } from './fast-signer.js';
import { PostPolicySigner, type SignedPostPolicy } from './post-policy-signer.js';
import { SdkSigner } from './sdk-signer.js';
import type { SigningRequest, UrlSigner } from './url-signer.js';

/**
 * put only: at most one checksum field (checksumSha256, checksumCrc64nvme, …), the body's base64
 * digest, signed as its x-amz-checksum-* header; S3 refuses an upload whose bytes do not match.
 */
export interface PresignRequest extends ObjectRequest, ChecksumFields {
  responseContentDisposition?: string | undefined;
  /** The grant the URL belongs to: signed into it as `x-s3p-grant` and required by the validator. */
  grant?: string | undefined;
  /** get only: sign x-amz-checksum-mode: ENABLED, so S3 answers with the stored checksum. */
  checksumMode?: boolean | undefined;
  /** get only: the part of a multipart object to answer with (1..10,000), signed as `partNumber`. */
  partNumber?: number | undefined;
  /**
   * put only: headers the service decided for this one upload (tagging, x-amz-meta-*), signed
   * as headers and returned in `headers`, besides the ones every upload to the bucket carries.
   */
  serverHeaders?: Readonly<Record<string, string>> | undefined;
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
  /** Told about every URL or policy the validator refused, before the refusal is thrown. */
  onRejected?: (report: ValidationReport, request: RejectedRequest) => void;
  /**
   * The headers every upload to a bucket carries, decided by the configuration (encryption):
   * signed into PUT URLs, sent as form fields, passed to CreateMultipartUpload. None by default.
   */
  uploadHeaders?: (bucket: string) => Readonly<Record<string, string>>;
}

/**
 * What presign, presignParts and presignPost refuse with: a target S3 would refuse, no usable
 * credentials, a signer that failed, and a URL or form policy that failed its validation
 * (500 with the failed check's code: never returned).
 */
export const PRESIGNER_ERRORS = [
  'INVALID_KEY',
  'INVALID_BUCKET',
  'INVALID_EXPIRES',
  'CREDENTIALS_UNAVAILABLE',
  'CREDENTIALS_EXPIRED',
  'PRESIGN_FAILED',
  ...URL_CHECK_CODES,
] as const satisfies readonly ErrorCode[];

/** A URL must not outlive its credentials; this margin covers clock drift and transit. */
const CREDENTIAL_EXPIRY_MARGIN_SECONDS = 60;

export class Presigner {
  readonly #deps: PresignerDependencies;
  readonly #signer: UrlSigner;
  /** POST policies are one HMAC chain whichever engine signs URLs: there is no SDK path to prefer. */
  readonly #postSigner: PostPolicySigner;

  constructor(deps: PresignerDependencies) {
    this.#deps = deps;
    this.#signer = deps.signer ?? new FastSigner(deps.s3, { fallback: new SdkSigner(deps.s3) });
    this.#postSigner = new PostPolicySigner(deps.s3);
  }

  get engine(): UrlSigner['engine'] {
    return this.#signer.engine;
  }

  /**
   * The headers the service decides for an upload to `bucket`: the configuration's (every
   * upload) and the request's own. A request cannot override the configuration's, nor name a
   * header the request fields already bind.
   */
  serverHeaders(bucket: string, own: Readonly<Record<string, string>> = {}): Record<string, string> {
    const configured = this.#deps.uploadHeaders?.(bucket) ?? {};
    for (const name of Object.keys(own)) {
      if (name !== name.toLowerCase() || Object.hasOwn(configured, name) || REQUEST_HEADERS.has(name)) {
        throw new TypeError(`server header ${name} is not lowercase, or is decided elsewhere`);
      }
    }
    return Object.assign({}, own, configured);
  }

  async presign(request: PresignRequest): Promise<PresignedUrl> {
    const { mode, policy } = this.#deps;
    const host = this.#checkTarget(request);
    const held = this.#credentials();
    const credentials = held instanceof Promise ? await held : held;
    const signingDate = policy.now();
    const expiresIn = clampToCredentials(request.expiresIn, signingDate, credentials);
    const headers =
      request.operation === 'put'
        ? Object.assign(requiredHeaders(request), this.serverHeaders(request.bucket, request.serverHeaders))
        : requiredHeaders(request);
    const signed = this.#sign({
      operation: request.operation,
      bucket: request.bucket,
      key: request.key,
      expiresIn,
      signingDate,
      headers,
      responseContentDisposition: request.operation === 'get' ? request.responseContentDisposition : undefined,
      partNumber: request.operation === 'get' ? request.partNumber : undefined,
      credentials,
      grant: request.grant,
    });
    const url = typeof signed === 'string' ? signed : await signed;
    this.#validate(url, request, {
      bucket: request.bucket,
      key: request.key,
      signedHeaders: Object.keys(headers),
      headers,
      // From the request's own fields, not from the headers signed for it.
      checksum: request.operation === 'put' ? requestChecksum(request) : undefined,
      checksumMode: request.operation === 'get' && request.checksumMode === true,
      method: request.operation === 'get' ? 'GET' : 'PUT',
      queryParameters: request.operation === 'get' ? getQueryParameters(request) : {},
      accessKeyId: credentials.accessKeyId,
      temporaryCredentials: credentials.sessionToken !== undefined,
      credentialsExpireAt: credentials.expiration,
      fresh: true,
      ...(request.grant === undefined ? {} : { grant: request.grant }),
    });
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

  /**
   * One PUT URL per part of a multipart upload, all signed with the same credentials and
   * date; each binds `uploadId` and `partNumber` and, when the part's size is known, its
   * exact content-length. Each passes the validator, or none is returned.
   */
  async presignParts(request: PartsPresignRequest): Promise<PresignedParts> {
    this.#checkTarget(request);
    const held = this.#credentials();
    const credentials = held instanceof Promise ? await held : held;
    const signingDate = this.#deps.policy.now();
    const expiresIn = clampToCredentials(request.expiresIn, signingDate, credentials);
    const parts: PresignedPart[] = [];
    for (const part of request.parts) {
      const headers: Record<string, string> = Object.assign(
        part.contentLength === undefined ? {} : { 'content-length': String(part.contentLength) },
        checksumFields(part.checksum),
      );
      const target = { uploadId: request.uploadId, partNumber: part.partNumber };
      const signed = this.#sign({
        operation: 'upload-part',
        bucket: request.bucket,
        key: request.key,
        expiresIn,
        signingDate,
        headers,
        part: target,
        credentials,
        grant: request.grant,
      });
      const url = typeof signed === 'string' ? signed : await signed;
      this.#validate(
        url,
        { operation: 'put', bucket: request.bucket },
        {
          bucket: request.bucket,
          key: request.key,
          signedHeaders: Object.keys(headers),
          headers,
          checksum: part.checksum,
          queryParameters: { partNumber: String(part.partNumber), uploadId: request.uploadId },
          uploadPart: true,
          accessKeyId: credentials.accessKeyId,
          temporaryCredentials: credentials.sessionToken !== undefined,
          credentialsExpireAt: credentials.expiration,
          fresh: true,
          ...(request.grant === undefined ? {} : { grant: request.grant }),
        },
      );
      parts.push({ partNumber: part.partNumber, url, method: 'PUT', headers });
    }
    return { parts, expiresAt: new Date(signingDate.getTime() + expiresIn * 1000), expiresIn };
  }

  /** A browser form policy for one exact key, type and size range; validated like a URL. */
  async presignPost(request: PostPresignRequest): Promise<PresignedPost> {
    this.#checkTarget(request);
    const held = this.#credentials();
    const credentials = held instanceof Promise ? await held : held;
    const signingDate = this.#deps.policy.now();
    const expiresIn = clampToCredentials(request.expiresIn, signingDate, credentials);
    const fields = Object.assign(
      this.serverHeaders(request.bucket, request.serverFields),
      checksumFields(request.checksum),
    );
    let signed: SignedPostPolicy;
    try {
      const pending = this.#postSigner.sign({
        bucket: request.bucket,
        key: request.key,
        contentType: request.contentType,
        contentLengthRange: request.contentLengthRange,
        successActionStatus: SUCCESS_ACTION_STATUS,
        fields,
        expiresIn,
        signingDate,
        credentials,
      });
      signed = 'url' in pending ? pending : await pending;
    } catch (error) {
      throw new AppError('PRESIGN_FAILED', 'the POST policy could not be signed for this bucket', { cause: error });
    }
    const report = validatePostPolicy(signed, this.#deps.policy, {
      bucket: request.bucket,
      key: request.key,
      contentType: request.contentType,
      contentLengthRange: request.contentLengthRange,
      successActionStatus: SUCCESS_ACTION_STATUS,
      fields,
      expiresAt: new Date(signingDate.getTime() + expiresIn * 1000),
      accessKeyId: credentials.accessKeyId,
      temporaryCredentials: credentials.sessionToken !== undefined,
      credentialsExpireAt: credentials.expiration,
      fresh: true,
    });
    this.#refuseUnless(report, { operation: 'post', bucket: request.bucket });
    return {
      url: signed.url,
      fields: signed.fields,
      expiresAt: new Date(signingDate.getTime() + expiresIn * 1000),
      bucket: request.bucket,
      key: request.key,
    };
  }

  /** The key and bucket checks every request passes first; returns the host it will go to. */
  #checkTarget(request: { bucket: string; key: string; expiresIn: number }): string {
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
    return host;
  }

  // #credentials and #sign answer at once when they can (held credentials, a bucket whose route
  // is cached), and their callers await only a promise: each await of a plain value, or async
  // function, is one more promise per URL (a /multipart/parts batch of 100 paid 300).
  #credentials(): SigningCredentials | Promise<SigningCredentials> {
    const current = this.#deps.credentials.current?.();
    if (current !== undefined) return current;
    const unavailable = (error: unknown) =>
      new AppError('CREDENTIALS_UNAVAILABLE', 'no AWS credentials are available to sign with', { cause: error });
    try {
      return this.#deps.credentials.get().catch((error: unknown) => {
        throw unavailable(error);
      });
    } catch (error) {
      throw unavailable(error);
    }
  }

  #sign(request: SigningRequest): string | Promise<string> {
    const failed = (error: unknown) =>
      new AppError('PRESIGN_FAILED', 'the S3 client could not presign this request', { cause: error });
    let signed: string | Promise<string>;
    try {
      signed = this.#signer.sign(request);
    } catch (error) {
      throw failed(error);
    }
    return typeof signed === 'string'
      ? signed
      : signed.catch((error: unknown) => {
          throw failed(error);
        });
  }

  #validate(url: string, request: RejectedRequest, expectation: UrlExpectation): void {
    this.#refuseUnless(validatePresignedUrl(url, this.#deps.policy, expectation), request);
  }

  #refuseUnless(report: ValidationReport, request: RejectedRequest): void {
    if (report.valid) return;
    this.#deps.onRejected?.(report, request);
    const [first] = report.failures;
    throw new AppError(
      first?.code ?? 'PRESIGN_FAILED',
      `the presigned ${request.operation === 'post' ? 'POST policy' : 'URL'} failed the ${first?.code ?? 'validation'} check and was not returned`,
    );
  }
}

/** Browser forms ask for 201: S3 then answers with the stored key and ETag in XML. */
const SUCCESS_ACTION_STATUS = '201';

/** What the rejection hook is told about the request whose URL or policy was refused. */
export interface RejectedRequest {
  operation: Operation | 'post';
  bucket: string;
}

export interface PartsPresignRequest {
  bucket: string;
  key: string;
  uploadId: string;
  expiresIn: number;
  /** The grant every part URL of this batch belongs to (`x-s3p-grant`). */
  grant?: string | undefined;
  /**
   * Each part's number and, when known, its exact size (signed as content-length) and its
   * checksum (signed as x-amz-checksum-*).
   */
  parts: ReadonlyArray<{
    partNumber: number;
    contentLength?: number | undefined;
    checksum?: RequestChecksum | undefined;
  }>;
}

export interface PresignedPart {
  partNumber: number;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

export interface PresignedParts {
  parts: PresignedPart[];
  expiresAt: Date;
  expiresIn: number;
}

export interface PostPresignRequest {
  bucket: string;
  key: string;
  contentType: string;
  contentLengthRange: readonly [min: number, max: number];
  expiresIn: number;
  /** Fields the service decided for this one upload (tagging, x-amz-meta-*), besides the bucket's. */
  serverFields?: Readonly<Record<string, string>> | undefined;
  /** The file's checksum: a field with an exact condition, so S3 refuses other bytes. */
  checksum?: RequestChecksum | undefined;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
  expiresAt: Date;
  bucket: string;
  key: string;
}

/** The headers a request binds from its own fields. */
const REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  ...CHECKSUM_ALGORITHMS.map(checksumHeader),
  CHECKSUM_MODE_HEADER,
]);

function requiredHeaders(request: PresignRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.operation !== 'put') {
    if (request.checksumMode === true) headers[CHECKSUM_MODE_HEADER] = 'ENABLED';
    return headers;
  }
  if (request.contentType !== undefined) headers['content-type'] = request.contentType;
  if (request.contentLength !== undefined) headers['content-length'] = String(request.contentLength);
  const checksum = requestChecksum(request);
  if (checksum !== undefined) headers[checksumHeader(checksum.algorithm)] = checksum.value;
  return headers;
}

/** The query parameters a GET asked for, which its URL must carry exactly. */
function getQueryParameters(request: PresignRequest): Record<string, string> {
  const asked: Record<string, string> = {};
  if (request.partNumber !== undefined) asked.partNumber = String(request.partNumber);
  if (request.responseContentDisposition !== undefined) {
    asked['response-content-disposition'] = request.responseContentDisposition;
  }
  return asked;
}

/** The form field (and exact condition) that binds a form upload's checksum. */
export function checksumFields(checksum: RequestChecksum | undefined): Record<string, string> {
  return checksum === undefined ? {} : { [checksumHeader(checksum.algorithm)]: checksum.value };
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
