// The server-side encryption a presigned URL or form carries, held to the configuration
// (S3_SSE*) without trusting the presigner: the headers each bucket's uploads need are
// derived here from the settings themselves. A PUT must sign exactly those headers, and any
// value that can be seen (a header the caller says it will send, a form field, a parameter
// hoisted into the query) must be the configured one. A GET or a part upload signs none:
// S3 answers 400 to encryption headers on GetObject and UploadPart.
import {
  SSE_BUCKET_KEY_HEADER,
  SSE_HEADER,
  SSE_HEADER_NAMES,
  SSE_KMS_KEY_ID_HEADER,
  describeSse,
  type SseSettings,
} from '../encryption/sse.js';
import type { Fail } from './check-failures.js';
import type { UrlExpectation, ValidationReport, ValidatorPolicy } from './types.js';

/** What a presigned URL does, as far as the URL or the caller says. */
export type UrlOperation = 'GET' | 'PUT' | 'upload-part';

/** The [name, value] pairs an upload for these settings must carry, in header (and field) names. */
function requiredPairs(settings: SseSettings): Array<[string, string]> {
  const pairs: Array<[string, string]> = [[SSE_HEADER, settings.algorithm]];
  if (settings.kmsKeyId !== undefined) pairs.push([SSE_KMS_KEY_ID_HEADER, settings.kmsKeyId]);
  if (settings.bucketKey !== undefined) pairs.push([SSE_BUCKET_KEY_HEADER, settings.bucketKey ? 'true' : 'false']);
  return pairs;
}

/** GET, PUT or a part, from the caller's word and the SDKs' `x-id` hint; undefined when neither says. */
export function urlOperation(
  query: ReadonlyMap<string, string>,
  expectation: UrlExpectation,
  fail: Fail,
): UrlOperation | undefined {
  const hint = query.get('x-id');
  // partNumber alone is a part upload unless the URL or the caller says GET: a GET of one part
  // of a multipart object (GetObject's partNumber) carries it too.
  const partGet = hint === 'GetObject' || expectation.method === 'GET';
  if (expectation.uploadPart || query.has('uploadId') || (query.has('partNumber') && !partGet)) return 'upload-part';
  const fromUrl = hint === 'GetObject' ? 'GET' : hint === 'PutObject' ? 'PUT' : undefined;
  if (expectation.method === undefined) return fromUrl;
  if (fromUrl !== undefined && fromUrl !== expectation.method) {
    fail(
      'URL_UNEXPECTED_PARAMETER',
      `x-id=${hint} names a ${fromUrl}, but the URL is checked as a ${expectation.method}`,
    );
  }
  return expectation.method;
}

export function checkUrlEncryption(
  query: ReadonlyMap<string, string>,
  policy: ValidatorPolicy,
  expectation: UrlExpectation,
  report: ValidationReport,
  fail: Fail,
): void {
  const operation = urlOperation(query, expectation, fail);
  // A malformed list was reported already; the checks below need the names it holds.
  const signed = report.signedHeaders ?? [];
  const signedEncryption = signed.filter((name) => SSE_HEADER_NAMES.has(name));
  if (operation === 'GET' || operation === 'upload-part') {
    if (signedEncryption.length > 0) {
      fail(
        'URL_ENCRYPTION_MISMATCH',
        `a ${operation === 'GET' ? 'GET' : 'part upload'} signs ${signedEncryption.join(', ')}: S3 refuses encryption headers there (400); the object's encryption is set when it is created`,
      );
    }
    return;
  }
  const settings = report.bucket === undefined ? undefined : policy.uploadEncryption?.(report.bucket);
  if (settings === undefined) return;
  if (operation === undefined) {
    fail(
      'URL_METHOD_UNKNOWN',
      `the URL does not say whether it is a GET or a PUT (no x-id), and bucket ${report.bucket}'s uploads carry ${describeSse(settings)}: verify it with method GET or PUT`,
    );
    return;
  }
  const pairs = requiredPairs(settings);
  const missing = pairs.filter(([name]) => !signed.includes(name)).map(([name]) => name);
  if (missing.length > 0) {
    fail(
      'URL_ENCRYPTION_MISSING',
      `the URL does not sign ${missing.join(', ')}: bucket ${report.bucket}'s uploads carry ${describeSse(settings)}, and S3 would store this one under other encryption`,
    );
  }
  const unasked = signedEncryption.filter((name) => !pairs.some(([required]) => required === name));
  if (unasked.length > 0) {
    fail(
      'URL_ENCRYPTION_MISMATCH',
      `the URL signs ${unasked.join(', ')}, which bucket ${report.bucket}'s configuration (${describeSse(settings)}) does not send`,
    );
  }
  for (const [name, value] of pairs) {
    // A header value is in the signature, not the URL: it is seen only when the caller says
    // what it will send, or when a signer hoisted it into the query.
    for (const [where, seen] of [
      ['header', expectation.headers?.[name]],
      ['query parameter', query.get(name)],
    ] as const) {
      if (seen !== undefined && seen !== value) {
        fail(
          'URL_ENCRYPTION_MISMATCH',
          `the ${where} ${name} is ${JSON.stringify(seen)}; bucket ${report.bucket}'s uploads use ${JSON.stringify(value)}`,
        );
      }
    }
  }
}

/**
 * A form's encryption fields against the configuration: each required field present with the
 * configured value (the conditions check holds each to an exact condition), none other.
 */
export function checkFormEncryption(
  fields: Readonly<Record<string, string>>,
  bucket: string,
  policy: ValidatorPolicy,
  fail: Fail,
): void {
  const byName = new Map(Object.entries(fields).map(([name, value]) => [name.toLowerCase(), value]));
  const settings = policy.uploadEncryption?.(bucket);
  const pairs = settings === undefined ? [] : requiredPairs(settings);
  for (const [name, value] of pairs) {
    const seen = byName.get(name);
    if (seen === undefined) {
      fail(
        'URL_ENCRYPTION_MISSING',
        `the form has no ${name} field: bucket ${bucket}'s uploads carry ${describeSse(settings)}, and S3 would store this one under other encryption`,
      );
    } else if (seen !== value) {
      fail(
        'URL_ENCRYPTION_MISMATCH',
        `the form field ${name} is ${JSON.stringify(seen)}; bucket ${bucket}'s uploads use ${JSON.stringify(value)}`,
      );
    }
  }
  for (const name of byName.keys()) {
    if (SSE_HEADER_NAMES.has(name) && !pairs.some(([required]) => required === name)) {
      fail(
        'URL_ENCRYPTION_MISMATCH',
        `the form sends ${name}, which bucket ${bucket}'s configuration (${describeSse(settings)}) does not`,
      );
    }
  }
}
