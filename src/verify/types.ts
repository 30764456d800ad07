// The validator's shared types: what a check is told (the policy, what the service expects of a
// URL) and what it reports. Apart from url-validator.ts, so the checks it calls import no module
// that imports them back.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import type { Addressing } from '../endpoint/expected-location.js';
import type { RequestChecksum } from '../endpoint/checksum-algorithms.js';
import type { SseSettings } from '../encryption/sse.js';
import type { UrlCheckFailure } from './check-failures.js';

export interface ValidatorPolicy {
  mode: EndpointMode;
  maxExpiresSeconds: number;
  maxClockSkewSeconds: number;
  now: () => Date;
  /** The encryption each bucket's uploads must carry (S3_SSE*); absent or undefined: none required. */
  uploadEncryption?: (bucket: string) => SseSettings | undefined;
}

/** What the service knows about a URL it just signed; empty for a URL from elsewhere. */
export interface UrlExpectation {
  bucket?: string;
  /**
   * The buckets the service signs for (S3_BUCKETS), for a URL from elsewhere: another bucket
   * fails URL_BUCKET_NOT_ALLOWED. Undefined: any bucket the mode can address.
   */
  allowedBuckets?: readonly string[];
  key?: string;
  /** Headers the caller was told to send, lowercase; `host` is always required. */
  signedHeaders?: readonly string[];
  /**
   * The values the caller will send, by lowercase name: the URL cannot show a signed header's
   * value, so where the service has a rule for one (encryption) it checks what it is told.
   */
  headers?: Readonly<Record<string, string>>;
  /** GET or PUT, when known: a URL says so only through the SDKs' `x-id` hint. */
  method?: 'GET' | 'PUT';
  /** Extra query parameters asked for (response overrides), exactly. */
  queryParameters?: Readonly<Record<string, string>>;
  accessKeyId?: string;
  /** Whether the signing credentials were temporary (a session token is then required). */
  temporaryCredentials?: boolean;
  credentialsExpireAt?: Date;
  /** Signed just now: X-Amz-Date must be within the clock skew in both directions. */
  fresh?: boolean;
  /**
   * The grant id the service signed into the URL (`x-s3p-grant`): then it must be there, exactly.
   * Undefined (a URL from elsewhere): absent is fine, present must have a grant id's shape.
   */
  grant?: string;
  /**
   * The checksum the request asked to bind (put or part): the URL must sign exactly its
   * x-amz-checksum-* header, and a value that can be seen must be this one.
   */
  checksum?: RequestChecksum | undefined;
  /** A GET asked for the stored checksum: the URL must sign x-amz-checksum-mode. */
  checksumMode?: boolean;
  /**
   * A multipart part URL: `x-id` must then be UploadPart, and `uploadId` and `partNumber`
   * come through queryParameters like any other expected parameter.
   */
  uploadPart?: boolean;
}

export interface ValidationReport {
  valid: boolean;
  failures: UrlCheckFailure[];
  bucket?: string;
  key?: string;
  addressing?: Addressing;
  region?: string;
  signedAt?: string;
  expiresAt?: string;
  signedHeaders?: string[];
  /** The grant id the URL carries (`x-s3p-grant`), when it carries a well-formed one. */
  grant?: string;
}

/** The parts of a URL's origin the checks read, as WHATWG URL parsing gives them. */
export type ParsedOrigin = Pick<URL, 'protocol' | 'host' | 'hostname'>;
