// What one caller may sign: operations, buckets, key prefixes, expiry, size and type.
// Every rule refuses with its own code, so a caller learns which rule said no.
import { AppError, type ErrorCode } from '../errors.js';
import type { ObjectRequest, Operation } from '../endpoint/object-operations.js';

export interface CallerPolicy {
  operations: readonly Operation[];
  /** Buckets from the service allowlist this caller may use; the first is its default. */
  buckets: readonly string[];
  /** Keys must start with one of these; `{sub}` is already replaced by the caller's subject. */
  keyPrefixes: readonly string[];
  maxExpiresSeconds: number;
  maxContentLength: number | undefined;
  /** `type/subtype` or `type/*` patterns; undefined allows any type. */
  contentTypes: readonly string[] | undefined;
  /** Whether /presign and /presign/batch are open: always for services, by policy for frontends. */
  presignRoutes: boolean;
  /** User metadata names (lowercase, without `x-amz-meta-`) the caller may set on its uploads. */
  metadataKeys: readonly string[];
  /** Tag keys (case-sensitive) the caller may set on its uploads. */
  tagKeys: readonly string[];
}

export interface Caller {
  id: string;
  kind: 'api-key' | 'jwt';
  /** The token's subject, for JWT callers. */
  subject: string | undefined;
  policy: CallerPolicy;
}

/** The media type without parameters, lowercase: `Text/Plain; charset=utf-8` → `text/plain`. */
export function essence(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

export function contentTypeAllowed(patterns: readonly string[] | undefined, contentType: string): boolean {
  if (patterns === undefined) return true;
  const type = essence(contentType);
  return patterns.some((pattern) => {
    const wanted = pattern.toLowerCase();
    if (wanted === '*/*') return true;
    if (wanted.endsWith('/*')) return type.startsWith(wanted.slice(0, -1));
    return type === wanted;
  });
}

/** What authorize refuses with: one code per rule. */
export const CALLER_POLICY_ERRORS = [
  'OPERATION_NOT_ALLOWED',
  'BUCKET_NOT_ALLOWED',
  'KEY_PREFIX_NOT_ALLOWED',
  'EXPIRES_NOT_ALLOWED',
  'CONTENT_LENGTH_REQUIRED',
  'CONTENT_LENGTH_NOT_ALLOWED',
  'CONTENT_TYPE_REQUIRED',
  'CONTENT_TYPE_NOT_ALLOWED',
] as const satisfies readonly ErrorCode[];

/** Throws the AppError of the first rule the request breaks. */
export function authorize(caller: Caller, request: ObjectRequest): void {
  const { policy } = caller;
  if (!policy.operations.includes(request.operation)) {
    throw new AppError('OPERATION_NOT_ALLOWED', `caller ${caller.id} may not ${request.operation}`, {
      field: 'operation',
    });
  }
  if (!policy.buckets.includes(request.bucket)) {
    throw new AppError('BUCKET_NOT_ALLOWED', `caller ${caller.id} may not use bucket "${request.bucket}"`, {
      field: 'bucket',
    });
  }
  if (!policy.keyPrefixes.some((prefix) => request.key.startsWith(prefix))) {
    throw new AppError(
      'KEY_PREFIX_NOT_ALLOWED',
      `key must start with ${policy.keyPrefixes.map((prefix) => `"${prefix}"`).join(' or ')}`,
      { field: 'key' },
    );
  }
  if (request.expiresIn > policy.maxExpiresSeconds) {
    throw new AppError('EXPIRES_NOT_ALLOWED', `expiresIn may be at most ${policy.maxExpiresSeconds} seconds`, {
      field: 'expiresIn',
    });
  }
  if (request.operation !== 'put') return;
  if (policy.maxContentLength !== undefined) {
    // Without a signed length S3 would take any size, so a size limit needs the length.
    if (request.contentLength === undefined) {
      throw new AppError('CONTENT_LENGTH_REQUIRED', 'contentLength is required for uploads under this policy', {
        field: 'contentLength',
      });
    }
    if (request.contentLength > policy.maxContentLength) {
      throw new AppError(
        'CONTENT_LENGTH_NOT_ALLOWED',
        `contentLength may be at most ${policy.maxContentLength} bytes`,
        {
          field: 'contentLength',
        },
      );
    }
  }
  if (policy.contentTypes !== undefined) {
    if (request.contentType === undefined) {
      throw new AppError('CONTENT_TYPE_REQUIRED', 'contentType is required for uploads under this policy', {
        field: 'contentType',
      });
    }
    if (!contentTypeAllowed(policy.contentTypes, request.contentType)) {
      throw new AppError(
        'CONTENT_TYPE_NOT_ALLOWED',
        `contentType must match ${policy.contentTypes.join(', ')}; got ${essence(request.contentType)}`,
        { field: 'contentType' },
      );
    }
  }
}
