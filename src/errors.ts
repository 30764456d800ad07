// The closed set of error codes the service can answer with, and the one table that maps
// each to its HTTP status. Every error a caller sees is an AppError built here, so a code
// never drifts from its status and a 500 never carries an internal message.

/** Codes for one failed check of a presigned URL (see src/verify/url-validator.ts). */
export const URL_CHECK_CODES = [
  'URL_MALFORMED',
  'URL_NOT_CANONICAL',
  'URL_SCHEME',
  'URL_GLOBAL_ENDPOINT',
  'URL_HOST',
  'URL_PATH',
  // A `.` or `..` path segment, in any spelling: clients disagree on which bucket and key it means.
  'URL_DOT_SEGMENT',
  'URL_ADDRESSING_STYLE',
  'URL_FRAGMENT',
  'URL_DUPLICATE_PARAMETER',
  'URL_ALGORITHM',
  'URL_CREDENTIAL_SCOPE',
  'URL_REGION',
  'URL_ACCESS_KEY',
  'URL_DATE',
  'URL_DATE_SKEW',
  'URL_EXPIRED',
  'URL_EXPIRES_RANGE',
  'URL_EXPIRES_OVER_MAXIMUM',
  'URL_EXPIRES_AFTER_CREDENTIALS',
  'URL_SIGNED_HEADERS',
  'URL_UNEXPECTED_PARAMETER',
  'URL_MISSING_PARAMETER',
  // The grant id (`x-s3p-grant`) every URL of the service carries: missing, another, or misshapen.
  'URL_GRANT',
  'URL_SECURITY_TOKEN',
  'URL_SIGNATURE_FORMAT',
  'URL_KEY',
  // A URL from elsewhere (POST /verify) for a bucket outside S3_BUCKETS: the service would refuse it.
  'URL_BUCKET_NOT_ALLOWED',
  // Server-side encryption: a PUT (or form) for a bucket configured with S3_SSE* must carry
  // exactly its encryption headers (fields); src/verify/encryption-headers.ts.
  'URL_ENCRYPTION_MISSING',
  'URL_ENCRYPTION_MISMATCH',
  // The URL does not say whether it is a GET or a PUT, and the bucket's uploads need encryption.
  'URL_METHOD_UNKNOWN',
  // Flexible checksums: a PUT or part signs exactly the x-amz-checksum-* asked for, a GET none
  // (and x-amz-checksum-mode when asked); src/verify/checksum-headers.ts.
  'URL_CHECKSUM_MISSING',
  'URL_CHECKSUM_MISMATCH',
  // A POST policy (browser form) is checked as strictly as a URL: src/verify/post-policy-validator.ts.
  'POLICY_MALFORMED',
  'POLICY_FIELDS',
  'POLICY_EXPIRATION',
  'POLICY_CONDITIONS',
] as const;
export type UrlCheckCode = (typeof URL_CHECK_CODES)[number];

const REQUEST_ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  INVALID_KEY: 400,
  INVALID_BUCKET: 400,
  INVALID_EXPIRES: 400,
  CONTENT_TYPE_REQUIRED: 400,
  CONTENT_LENGTH_REQUIRED: 400,
  MALFORMED_REQUEST: 400,
  // A checksum field for an algorithm the store does not verify (S3_STORE_CHECKSUMS).
  CHECKSUM_NOT_VERIFIED: 400,
  // Object metadata and tags (src/metadata/object-metadata.ts): a key the caller's policy does not
  // list (metadataKeys, tagKeys), or one S3 would refuse (2 KB of metadata, 10 tags, tag text).
  METADATA_NOT_ALLOWED: 400,
  METADATA_INVALID: 400,
  TAG_NOT_ALLOWED: 400,
  TAGS_INVALID: 400,
  // Multipart checksums: an algorithm/type pair S3 refuses, a part without the upload's value,
  // and bytes S3 found other than their checksum (BadDigest).
  CHECKSUM_TYPE_NOT_ALLOWED: 400,
  CHECKSUM_MISSING: 400,
  CHECKSUM_MISMATCH: 400,
  AUTH_REQUIRED: 401,
  AUTH_INVALID: 401,
  AUTH_EXPIRED: 401,
  // One code per policy rule, so a caller can tell which one refused it.
  OPERATION_NOT_ALLOWED: 403,
  BUCKET_NOT_ALLOWED: 403,
  KEY_PREFIX_NOT_ALLOWED: 403,
  EXPIRES_NOT_ALLOWED: 403,
  CONTENT_LENGTH_NOT_ALLOWED: 403,
  CONTENT_TYPE_NOT_ALLOWED: 403,
  // A route outside the caller kind's family (a frontend on /presign without presignRoutes).
  ROUTE_NOT_ALLOWED: 403,
  // A browser preflight from an origin not in CORS_ORIGINS: the message says how to allow it.
  CORS_ORIGIN_NOT_ALLOWED: 403,
  // Multipart uploads: S3's rules, checked before S3 sees the request, and S3's own refusals.
  INVALID_UPLOAD_ID: 400,
  INVALID_PART_NUMBER: 400,
  INVALID_PART_SIZE: 400,
  TOO_MANY_PARTS: 400,
  OBJECT_TOO_LARGE: 400,
  CONTENT_LENGTH_MISMATCH: 400,
  INVALID_PART: 400,
  INVALID_PART_ORDER: 400,
  ENTITY_TOO_SMALL: 400,
  UPLOAD_NOT_ALLOWED: 403,
  S3_ACCESS_DENIED: 403,
  NO_SUCH_UPLOAD: 404,
  UPLOAD_EXPIRED: 410,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
  /** S3 refused in a way that is no caller's mistake (throttling, outage). */
  S3_REQUEST_FAILED: 502,
  PRESIGN_FAILED: 500,
  CREDENTIALS_UNAVAILABLE: 503,
  CREDENTIALS_EXPIRED: 503,
  AUTH_UNAVAILABLE: 503,
  OVERLOADED: 503,
  // The shared rate-limit store is unreachable and RATE_LIMIT_REDIS_FAILURE=closed.
  RATE_LIMIT_UNAVAILABLE: 503,
} as const;

export type RequestErrorCode = keyof typeof REQUEST_ERROR_STATUS;
export type ErrorCode = RequestErrorCode | UrlCheckCode;
/** The HTTP status of a code, as a type: what a route that declares the code can answer with. */
export type StatusOf<C extends ErrorCode> = C extends RequestErrorCode ? (typeof REQUEST_ERROR_STATUS)[C] : 500;
export const ERROR_CODES = [
  ...(Object.keys(REQUEST_ERROR_STATUS) as RequestErrorCode[]),
  ...URL_CHECK_CODES,
] as readonly ErrorCode[];

/** A URL that failed validation is the service's fault, never the caller's: 500. */
export function statusOf(code: ErrorCode): number {
  return code in REQUEST_ERROR_STATUS ? REQUEST_ERROR_STATUS[code as RequestErrorCode] : 500;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** The request field the error is about, when there is one (`body.key`). */
  readonly field: string | undefined;
  /** Sent as Retry-After: when the refusal is expected to lift. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusOf(code);
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
