// The query parameters a presigned URL may carry besides SigV4's own: the SDK's hints, the
// GET overrides, the grant id, and exactly the ones the service asked for (a part URL's
// uploadId and partNumber among them). Anything else is refused.
import { GRANT_PARAMETER, isGrantId } from '../audit/grant-id.js';
import { MAX_PARTS } from '../endpoint/s3-limits.js';
import type { Fail } from './check-failures.js';
import type { UrlExpectation, ValidationReport } from './types.js';

export const SIGV4_PARAMETERS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Security-Token',
]);
/**
 * Harmless parameters the SDKs add: the payload marker and the operation hint. A Map: a
 * parameter named `constructor` or `__proto__` must find nothing here, not Object.prototype.
 */
export const SDK_PARAMETERS: ReadonlyMap<string, RegExp> = new Map([
  ['X-Amz-Content-Sha256', /^UNSIGNED-PAYLOAD$/],
  ['x-id', /^(GetObject|PutObject)$/],
]);
/** Parameters a URL made elsewhere may carry for a GET; our own carry them only when asked. */
export const GET_OVERRIDES = new Set([
  'response-content-disposition',
  'response-content-type',
  'response-content-language',
  'response-content-encoding',
  'response-cache-control',
  'response-expires',
  'versionId',
]);

/** A part number as S3 reads one and the service signs one: 1..10,000, no other spelling. */
const PART_NUMBER = /^[1-9]\d{0,4}$/;

/**
 * GetObject's partNumber on a URL from elsewhere (the service's own say it in
 * queryParameters): a GET of one part, as the presign routes and /downloads sign it. On
 * anything else, a part number is a part upload's, which needs its uploadId.
 */
function checkPartGet(value: string, expectation: UrlExpectation, hint: string | undefined, fail: Fail): void {
  const get = expectation.method === undefined ? hint === 'GetObject' : expectation.method === 'GET';
  if (!get) {
    fail(
      'URL_UNEXPECTED_PARAMETER',
      'query parameter partNumber without uploadId is a GET of one part, but the URL is not checked as a GET (x-id=GetObject, or verify it with method GET)',
    );
  } else if (!PART_NUMBER.test(value) || Number(value) > MAX_PARTS) {
    fail('URL_UNEXPECTED_PARAMETER', `query parameter partNumber must be a part number, 1..${MAX_PARTS}, got ${value}`);
  }
}

export function checkOtherParameters(query: Map<string, string>, expectation: UrlExpectation, fail: Fail): void {
  const asked = expectation.queryParameters;
  query.forEach((value, name) => {
    if (SIGV4_PARAMETERS.has(name) || name === GRANT_PARAMETER) return;
    if (name === 'partNumber' && asked === undefined && !query.has('uploadId') && !expectation.uploadPart) {
      checkPartGet(value, expectation, query.get('x-id'), fail);
      return;
    }
    if (name === 'x-id' && expectation.uploadPart) {
      if (value !== 'UploadPart')
        fail('URL_UNEXPECTED_PARAMETER', `a part URL's x-id must be UploadPart, got ${value}`);
      return;
    }
    const sdkPattern = SDK_PARAMETERS.get(name);
    if (sdkPattern) {
      if (!sdkPattern.test(value)) fail('URL_UNEXPECTED_PARAMETER', `query parameter ${name}=${value} is not expected`);
      return;
    }
    if (asked ? Object.hasOwn(asked, name) && asked[name] === value : GET_OVERRIDES.has(name)) return;
    fail(
      'URL_UNEXPECTED_PARAMETER',
      /^x-amz-checksum-/i.test(name)
        ? `query parameter ${name} was added behind the caller's back: S3-compatible stores reject it and S3 would check it`
        : `query parameter ${name} was not asked for`,
    );
  });
  for (const [name, value] of Object.entries(asked ?? {})) {
    if (query.get(name) !== value)
      fail('URL_MISSING_PARAMETER', `query parameter ${name} was asked for but is missing or different`);
  }
}

/**
 * The grant id (`x-s3p-grant`): on the service's own URLs exactly the one it signed; on a URL
 * from elsewhere optional, but when present, a grant id's shape (it is then reported).
 */
export function checkGrant(
  query: ReadonlyMap<string, string>,
  expectation: UrlExpectation,
  report: ValidationReport,
  fail: Fail,
): void {
  const grant = query.get(GRANT_PARAMETER);
  if (expectation.grant !== undefined) {
    if (grant !== expectation.grant) {
      fail(
        'URL_GRANT',
        grant === undefined
          ? `the URL lacks its grant id (${GRANT_PARAMETER})`
          : `${GRANT_PARAMETER} is not the grant the URL was signed for`,
      );
      return;
    }
  } else if (grant === undefined) {
    return;
  } else if (!isGrantId(grant)) {
    fail('URL_GRANT', `${GRANT_PARAMETER} must be a grant id (a lowercase version 4 UUID)`);
    return;
  }
  report.grant = grant;
}
