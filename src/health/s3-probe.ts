import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';

/*
 * Why the probe is a chain of up to three requests
 * ------------------------------------------------
 * The probe has to answer one question: does the endpoint answer, and does it accept a signature
 * made with our credentials? A rejected signature is what breaks every presigned URL.
 *
 * HEAD responses carry no body, and S3 puts the error Code only in the XML body. So for
 * HeadBucket/HeadObject the SDK (this version, 3.1169.0, checked in
 * @aws-sdk/core protocols `loadRestXmlErrorCode`) only knows the status: a 404 becomes
 * name 'NotFound', anything else becomes an S3ServiceException named 'Unknown' with message
 * 'UnknownError' (older SDK versions used other placeholders such as 'Forbidden'; the status in
 * `$metadata.httpStatusCode` is the only stable signal, so classification reads the status and
 * treats these placeholder names as "no code").
 *
 * A body-less 403 therefore cannot tell AccessDenied (signature accepted, permission missing:
 * fine for a least-privilege role) from SignatureDoesNotMatch or InvalidAccessKeyId (broken
 * credentials). The same holds for a body-less 400, which is how ExpiredToken, InvalidToken,
 * TokenRefreshRequired and AuthorizationHeaderMalformed look on HEAD. Decision:
 *
 *  1. HeadBucket. 200 → ok. 404 → the bucket does not exist. 400/403 → ambiguous, go on.
 *  2. HeadObject on the probe key. 200 or 404 → ok: S3 authenticates before it looks the key
 *     up, so a 404 proves the signature was accepted. 400/403 → still ambiguous, go on.
 *  3. GetObject on the probe key with `Range: bytes=0-0`. Errors on GET carry the XML body, so
 *     the SDK sees the real Code: AccessDenied / NoSuchKey / InvalidRange → ok (authenticated);
 *     InvalidAccessKeyId, SignatureDoesNotMatch, ExpiredToken, ... → S3_AUTH_FAILED. The range
 *     keeps the read at one byte should a role be allowed to read the probe key.
 *
 * A server that names the code in a header on HEAD (`x-amz-error-code`, or MinIO's
 * `x-minio-error-code`) short-circuits the chain. AWS S3 is not relied on to send one.
 * A 403 that still has no code after the GET (e.g. something other than S3 in front of the
 * endpoint) fails with S3_FORBIDDEN: we cannot prove the signature was accepted.
 */

export type S3ProbeOperation = 'HeadBucket' | 'HeadObject' | 'GetObject';

/** Stable failure codes of the s3 check. */
export const S3_PROBE_FAILURE_CODES = [
  'S3_AUTH_FAILED',
  'S3_UNREACHABLE',
  'S3_TIMEOUT',
  'S3_NO_SUCH_BUCKET',
  'S3_FORBIDDEN',
  'S3_ERROR',
] as const;
export type S3ProbeFailureCode = (typeof S3_PROBE_FAILURE_CODES)[number];

export type S3ProbeOutcome = {
  ok: boolean;
  /** The request whose answer decided the outcome. */
  operation: S3ProbeOperation;
  detail: string;
  /** S3's `Date` header from the last HTTP response received, for the clock check. */
  serverDate?: Date;
  code?: S3ProbeFailureCode;
  httpStatus?: number;
  /** S3's error Code, when one could be learned (never a status-derived placeholder). */
  errorCode?: string;
  /** `x-amz-bucket-region`, when S3 sent it (useful when the endpoint is in the wrong region). */
  bucketRegion?: string;
};

export const DEFAULT_PROBE_KEY = '.s3-presign-health-probe';

export const S3_AUTH_ERROR_CODES: ReadonlySet<string> = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  // Both mean the request was not authenticated; the clock check reports the skew itself.
  'RequestTimeTooSkewed',
  'AuthorizationHeaderMalformed',
]);

// Codes S3 only returns after it authenticated the request.
const AUTHENTICATED_REFUSAL_CODES: ReadonlySet<string> = new Set([
  'AccessDenied',
  'NoSuchKey',
  'InvalidRange',
  'InvalidObjectState',
]);

// Names the SDK invents when the response had no Code; they carry no more than the status does.
const PLACEHOLDER_ERROR_NAMES: ReadonlySet<string> = new Set([
  'Unknown',
  'UnknownError',
  'NotFound',
  'Forbidden',
  'BadRequest',
  'Error',
]);

const ERROR_CODE_HEADERS = ['x-amz-error-code', 'x-minio-error-code'];

interface RawResponse {
  statusCode?: number;
  headers?: Record<string, string | undefined>;
}

interface Attempt {
  operation: S3ProbeOperation;
  succeeded: boolean;
  status?: number;
  errorCode?: string;
  bucketRegion?: string;
  error?: unknown;
  output?: unknown;
}

type Verdict = { kind: 'ok'; why: string } | { kind: 'next' } | { kind: 'fail'; code: S3ProbeFailureCode; why: string };

export async function probeS3(
  client: S3Client,
  bucket: string,
  options: { probeKey?: string; abortSignal?: AbortSignal } = {},
): Promise<S3ProbeOutcome> {
  const probeKey = options.probeKey ?? DEFAULT_PROBE_KEY;
  const { abortSignal } = options;
  const trail: string[] = [];
  let serverDate: Date | undefined;

  const send = async (
    operation: S3ProbeOperation,
    command: HeadBucketCommand | HeadObjectCommand | GetObjectCommand,
  ): Promise<Attempt> => {
    let last: RawResponse | undefined;
    // Added to this command only: the S3Client is shared with the presigner and must not change.
    // In the deserialize step this sits inside the SDK's deserializer, so it sees every raw
    // response (each retry too), error statuses included, before any exception is made from it.
    // Typed as one member of the command union: the stacks differ only in input/output types,
    // which this middleware never looks at.
    const stack = command.middlewareStack as HeadBucketCommand['middlewareStack'];
    stack.add(
      (next) => async (args) => {
        // Per attempt: a retry that dies without a response must not inherit an earlier status.
        last = undefined;
        const result = await next(args);
        last = result.response as RawResponse;
        const date = parseHttpDate(header(last.headers, 'date'));
        if (date) serverDate = date;
        return result;
      },
      { step: 'deserialize', name: 's3PresignHealthProbeCapture' },
    );
    try {
      // The union of three command types does not fit send()'s overloads; each member does.
      const output: unknown = await client.send(command as HeadBucketCommand, abortSignal ? { abortSignal } : {});
      return { operation, succeeded: true, status: last?.statusCode ?? 200, output };
    } catch (error) {
      const response = last ?? (error as { $response?: RawResponse }).$response;
      const status =
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? response?.statusCode;
      const attempt: Attempt = { operation, succeeded: false, error };
      if (status !== undefined) {
        attempt.status = status;
        const code = errorCodeOf(error, response);
        if (code !== undefined) attempt.errorCode = code;
        const region = header(response?.headers, 'x-amz-bucket-region');
        if (region !== undefined) attempt.bucketRegion = region;
      }
      return attempt;
    }
  };

  const finish = (attempt: Attempt, verdict: Exclude<Verdict, { kind: 'next' }>): S3ProbeOutcome => {
    const outcome: S3ProbeOutcome = {
      ok: verdict.kind === 'ok',
      operation: attempt.operation,
      detail: `${verdict.why} (${trail.join(' → ')})`,
    };
    if (verdict.kind === 'fail') outcome.code = verdict.code;
    if (serverDate) outcome.serverDate = serverDate;
    if (attempt.status !== undefined) outcome.httpStatus = attempt.status;
    if (attempt.errorCode !== undefined) outcome.errorCode = attempt.errorCode;
    if (attempt.bucketRegion !== undefined) outcome.bucketRegion = attempt.bucketRegion;
    return outcome;
  };

  let current: Attempt = { operation: 'HeadBucket', succeeded: false };
  try {
    current = await send('HeadBucket', new HeadBucketCommand({ Bucket: bucket }));
    trail.push(describe(current));
    let verdict = judge(current, bucket, abortSignal);
    if (verdict.kind !== 'next') return finish(current, verdict);

    current = await send('HeadObject', new HeadObjectCommand({ Bucket: bucket, Key: probeKey }));
    trail.push(describe(current));
    verdict = judge(current, bucket, abortSignal);
    if (verdict.kind !== 'next') return finish(current, verdict);

    current = await send('GetObject', new GetObjectCommand({ Bucket: bucket, Key: probeKey, Range: 'bytes=0-0' }));
    trail.push(describe(current));
    if (current.succeeded) releaseBody(current.output);
    verdict = judge(current, bucket, abortSignal);
    if (verdict.kind === 'next') {
      verdict = {
        kind: 'fail',
        code: 'S3_FORBIDDEN',
        why: `${current.status ?? 'error'} without an error code even on GET: cannot tell AccessDenied from a rejected signature`,
      };
    }
    return finish(current, verdict);
  } catch (error) {
    trail.push(`${current.operation} threw`);
    return finish(current, { kind: 'fail', code: 'S3_ERROR', why: `unexpected error: ${errorText(error)}` });
  }
}

function judge(attempt: Attempt, bucket: string, signal: AbortSignal | undefined): Verdict {
  const { operation, status, errorCode } = attempt;
  if (attempt.succeeded) return { kind: 'ok', why: `${operation} succeeded` };

  if (status === undefined) {
    const error = attempt.error;
    const name = (error as { name?: unknown } | null)?.name;
    if (signal?.aborted || name === 'AbortError' || name === 'TimeoutError') {
      return { kind: 'fail', code: 'S3_TIMEOUT', why: `${operation} was aborted or timed out` };
    }
    if (name === 'CredentialsProviderError') {
      return { kind: 'fail', code: 'S3_AUTH_FAILED', why: `${operation} could not be signed: ${errorText(error)}` };
    }
    // No HTTP response at all: refused, reset, DNS, TLS — the endpoint did not answer.
    return { kind: 'fail', code: 'S3_UNREACHABLE', why: `${operation} got no HTTP response: ${errorText(error)}` };
  }

  if (errorCode !== undefined && S3_AUTH_ERROR_CODES.has(errorCode)) {
    return { kind: 'fail', code: 'S3_AUTH_FAILED', why: `${operation} rejected the request: ${errorCode}` };
  }
  if (errorCode === 'NoSuchBucket' || (operation === 'HeadBucket' && status === 404)) {
    return { kind: 'fail', code: 'S3_NO_SUCH_BUCKET', why: `bucket "${bucket}" does not exist at this endpoint` };
  }

  const authenticated = errorCode !== undefined && AUTHENTICATED_REFUSAL_CODES.has(errorCode);
  switch (operation) {
    case 'HeadBucket':
      // Even an explicit AccessDenied goes on: the role may lack s3:ListBucket yet be fine for
      // object access, which is what presigned URLs need.
      if (status === 403 || (status === 400 && errorCode === undefined)) return { kind: 'next' };
      break;
    case 'HeadObject':
      if (status === 404 || authenticated) {
        return { kind: 'ok', why: 'endpoint answered and accepted the signature' };
      }
      if ((status === 403 || status === 400) && errorCode === undefined) return { kind: 'next' };
      break;
    case 'GetObject':
      if (status === 404 || status === 416 || authenticated) {
        return { kind: 'ok', why: 'endpoint answered and accepted the signature' };
      }
      if (status === 403 && errorCode === undefined) return { kind: 'next' };
      break;
  }
  const region = attempt.bucketRegion ? `, bucket region ${attempt.bucketRegion}` : '';
  return {
    kind: 'fail',
    code: 'S3_ERROR',
    why: `${operation} failed with HTTP ${status}${errorCode ? ` ${errorCode}` : ''}${region}`,
  };
}

function errorCodeOf(error: unknown, response: RawResponse | undefined): string | undefined {
  const e = error as { Code?: unknown; name?: unknown } | null;
  if (typeof e?.Code === 'string' && e.Code !== '') return e.Code;
  if (typeof e?.name === 'string' && e.name !== '' && !PLACEHOLDER_ERROR_NAMES.has(e.name) && !/^\d+$/.test(e.name)) {
    return e.name;
  }
  for (const name of ERROR_CODE_HEADERS) {
    const value = header(response?.headers, name);
    if (value) return value;
  }
  return undefined;
}

function describe(attempt: Attempt): string {
  if (attempt.status === undefined) return `${attempt.operation} no response`;
  return `${attempt.operation} ${attempt.status}${attempt.errorCode ? ` ${attempt.errorCode}` : ''}`;
}

function header(headers: RawResponse['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function parseHttpDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

// Free the socket: a server that ignores Range could otherwise stream a whole object at us.
function releaseBody(output: unknown): void {
  const body = (output as { Body?: { destroy?: () => void } } | undefined)?.Body;
  body?.destroy?.();
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const base = error.message || error.name;
    return typeof code === 'string' && !base.includes(code) ? `${base} (${code})` : base;
  }
  return String(error);
}
