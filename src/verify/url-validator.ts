// Checks a presigned URL against the pinned mode without trusting the code that signed it:
// the expected host and path come from src/endpoint/expected-location.ts, every query
// parameter is accounted for, and each failed check carries its own stable code.
// The checks live beside it, each a part a reader can hold: url-parsing.ts (the URL as
// written, its canonical form, origin and query), url-location.ts (scheme, host, path),
// url-parameters.ts (which query parameters may be there), signature-fields.ts (SigV4's own
// fields), encryption-headers.ts (server-side encryption against the configuration),
// checksum-headers.ts (the x-amz-checksum-* a URL binds against the one asked for) and
// check-failures.ts (one counted failure per code). post-policy-validator.ts
// checks browser form policies the same way. The validate… functions are the door.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import type { Addressing } from '../endpoint/expected-location.js';
import type { Config } from '../config/config.js';
import type { RequestChecksum } from '../endpoint/checksum-algorithms.js';
import { encryptionFor, type SseSettings } from '../encryption/sse.js';
import { checkUrlChecksums } from './checksum-headers.js';
import { failureCollector, type UrlCheckFailure } from './check-failures.js';
import { checkUrlEncryption } from './encryption-headers.js';
import { checkSignature } from './signature-fields.js';
import { checkLocation } from './url-location.js';
import { checkGrant } from './url-parameters.js';
import { canonicalFormProblem, dotSegmentProblem, parseOrigin, parseQuery, splitRawUrl } from './url-parsing.js';

export { MAX_FAILURE_MESSAGE_LENGTH, type UrlCheckFailure } from './check-failures.js';
export { isSignatureHex, parseAmzDate, parseCredential, type CredentialScope } from './signature-fields.js';
export { describeMode } from './url-location.js';
export { canonicalFormProblem, splitRawUrl, type RawUrl } from './url-parsing.js';

export interface ValidatorPolicy {
  mode: EndpointMode;
  maxExpiresSeconds: number;
  maxClockSkewSeconds: number;
  now: () => Date;
  /** The encryption each bucket's uploads must carry (S3_SSE*); absent or undefined: none required. */
  uploadEncryption?: (bucket: string) => SseSettings | undefined;
}

/** The policy a configuration implies; the service and the CLI hold URLs to the same one. */
export function validatorPolicy(config: Config, now: () => Date = () => new Date()): ValidatorPolicy {
  return {
    mode: config.mode,
    maxExpiresSeconds: config.presign.maxExpiresSeconds,
    maxClockSkewSeconds: config.presign.maxClockSkewSeconds,
    now,
    uploadEncryption: (bucket) => encryptionFor(config.encryption, bucket),
  };
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

export function validatePresignedUrl(
  url: string,
  policy: ValidatorPolicy,
  expectation: UrlExpectation = {},
): ValidationReport {
  const { failures, fail } = failureCollector();
  const report: ValidationReport = { valid: false, failures };

  const raw = splitRawUrl(url);
  if (!raw) {
    fail('URL_MALFORMED', 'not an absolute http(s) URL');
    return report;
  }
  const notCanonical = canonicalFormProblem(url, raw);
  if (notCanonical !== undefined) {
    fail('URL_NOT_CANONICAL', notCanonical);
    return report;
  }
  const parsedUrl = parseOrigin(url, raw.scheme, raw.authority, policy.mode, expectation);
  if (!parsedUrl) {
    fail('URL_MALFORMED', 'not an absolute http(s) URL');
    return report;
  }
  if (parsedUrl.host !== raw.authority) {
    // In the character set above, only a spelling URL parsing rewrites: a default port,
    // an IPv4 address in another notation (`127.1`, `0x7f.0.0.1`), a leading zero in the port.
    fail('URL_NOT_CANONICAL', `the authority "${raw.authority}" is not canonical: it is read as "${parsedUrl.host}"`);
    return report;
  }
  const rawPath = raw.path;
  const rawQuery = raw.query ?? '';
  if (raw.fragment !== undefined) fail('URL_FRAGMENT', 'a presigned URL must not carry a #fragment');

  const query = parseQuery(rawQuery, fail);
  // Before any bucket is read from the path: a dot segment makes the path mean two things.
  const dotSegment = dotSegmentProblem(rawPath);
  if (dotSegment !== undefined) fail('URL_DOT_SEGMENT', dotSegment);
  else checkLocation(parsedUrl, rawPath, policy.mode, expectation, report, fail);
  // checkLocation reports the region of the bucket's pinned location once it has found one.
  checkSignature(query, policy, expectation, report.region, report, fail);
  checkGrant(query, expectation, report, fail);
  checkUrlEncryption(query, policy, expectation, report, fail);
  checkUrlChecksums(query, expectation, report, fail);

  report.valid = failures.length === 0;
  return report;
}
