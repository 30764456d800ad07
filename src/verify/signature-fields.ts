// The SigV4 fields of a presigned URL: algorithm, date, credential scope, expiry, signed
// headers, session token and signature format. Each is checked on its own, with its own code.
import { SIGV4_MAX_EXPIRES_SECONDS } from '../config/config.js';
import { isoTimeMemo } from '../iso-time.js';
import { LruCache } from '../lru-cache.js';
import type { Fail } from './check-failures.js';
import { checkOtherParameters } from './url-parameters.js';
import type { UrlExpectation, ValidationReport, ValidatorPolicy } from './types.js';

const EXPIRES_DIGITS = /^\d{1,7}$/;
const HEADER_NAME = /^[a-z0-9-]+$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/([^/]+)$/;

/** 1 for the ASCII codes of 0-9 and a-f. */
const LOWER_HEX_DIGIT = new Uint8Array(128);
for (const digit of '0123456789abcdef') LOWER_HEX_DIGIT[digit.charCodeAt(0)] = 1;

/** /^[0-9a-f]{64}$/ by table lookup: about half the regular expression's cost, a third of comparing ranges. */
export function isSignatureHex(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    // Past the table (code 128 and up) reads undefined: not a digit, like any other character.
    if (LOWER_HEX_DIGIT[value.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

export function checkSignature(
  query: Map<string, string>,
  policy: ValidatorPolicy,
  expectation: UrlExpectation,
  signingRegion: string | undefined,
  report: ValidationReport,
  fail: Fail,
): void {
  const algorithm = query.get('X-Amz-Algorithm');
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    fail(
      'URL_ALGORITHM',
      query.has('AWSAccessKeyId') || query.has('Signature')
        ? 'the URL is signed with SigV2, which S3 no longer accepts everywhere; SigV4 (AWS4-HMAC-SHA256) is required'
        : `X-Amz-Algorithm must be AWS4-HMAC-SHA256, got ${algorithm ?? 'nothing'}`,
    );
  }

  const amzDate = query.get('X-Amz-Date');
  const signedAt = amzDate ? parseAmzDate(amzDate) : undefined;
  if (signedAt === undefined) fail('URL_DATE', `X-Amz-Date must be YYYYMMDDTHHMMSSZ, got ${amzDate ?? 'nothing'}`);
  else report.signedAt = signedAtText(signedAt);

  const credential = query.get('X-Amz-Credential');
  const scope = credential ? parseCredential(credential) : undefined;
  let accessKeyId: string | undefined;
  if (!scope) {
    fail('URL_CREDENTIAL_SCOPE', 'X-Amz-Credential must be ACCESS_KEY/DATE/REGION/s3/aws4_request');
  } else {
    const [keyId, scopeDate, region, service, terminator] = scope;
    accessKeyId = keyId;
    if (service !== 's3' || terminator !== 'aws4_request') {
      fail('URL_CREDENTIAL_SCOPE', `credential scope must end in /s3/aws4_request, got /${service}/${terminator}`);
    }
    if (amzDate && scopeDate !== amzDate.slice(0, 8)) {
      fail('URL_CREDENTIAL_SCOPE', `credential scope date ${scopeDate} differs from X-Amz-Date ${amzDate}`);
    }
    if (signingRegion !== undefined && region !== signingRegion) {
      fail('URL_REGION', `credential scope names region ${region}, the pinned region is ${signingRegion}`);
    }
    if (expectation.accessKeyId !== undefined && keyId !== expectation.accessKeyId) {
      fail('URL_ACCESS_KEY', 'signed with an access key other than the service credentials');
    }
  }

  const expiresText = query.get('X-Amz-Expires');
  const expires = expiresText !== undefined && EXPIRES_DIGITS.test(expiresText) ? Number(expiresText) : undefined;
  if (expires === undefined || expires < 1 || expires > SIGV4_MAX_EXPIRES_SECONDS) {
    fail(
      'URL_EXPIRES_RANGE',
      `X-Amz-Expires must be 1..${SIGV4_MAX_EXPIRES_SECONDS} seconds, got ${expiresText ?? 'nothing'}`,
    );
  } else if (expires > policy.maxExpiresSeconds) {
    fail(
      'URL_EXPIRES_OVER_MAXIMUM',
      `X-Amz-Expires ${expires} is above the configured maximum ${policy.maxExpiresSeconds}`,
    );
  }

  if (signedAt !== undefined) {
    const now = policy.now().getTime();
    const skewMs = policy.maxClockSkewSeconds * 1000;
    if (signedAt > now + skewMs) {
      fail('URL_DATE_SKEW', `X-Amz-Date ${amzDate} is in the future (beyond ${policy.maxClockSkewSeconds}s of skew)`);
    } else if (expectation.fresh && signedAt < now - skewMs) {
      fail('URL_DATE_SKEW', `X-Amz-Date ${amzDate} is more than ${policy.maxClockSkewSeconds}s in the past`);
    }
    if (expires !== undefined) {
      const expiresAt = signedAt + expires * 1000;
      report.expiresAt = expiresAtText(expiresAt);
      if (!expectation.fresh && expiresAt <= now) fail('URL_EXPIRED', `the URL expired at ${report.expiresAt}`);
      if (expectation.credentialsExpireAt && expiresAt > expectation.credentialsExpireAt.getTime()) {
        fail(
          'URL_EXPIRES_AFTER_CREDENTIALS',
          `the URL outlives its credentials (${report.expiresAt} > ${expectation.credentialsExpireAt.toISOString()})`,
        );
      }
    }
  }

  checkSignedHeaders(query.get('X-Amz-SignedHeaders'), expectation, report, fail);

  const temporary =
    expectation.temporaryCredentials ??
    (accessKeyId?.startsWith('ASIA') ? true : accessKeyId?.startsWith('AKIA') ? false : undefined);
  const hasToken = query.has('X-Amz-Security-Token');
  if (temporary === true && !hasToken) {
    fail('URL_SECURITY_TOKEN', 'temporary credentials signed it, but X-Amz-Security-Token is missing');
  } else if (temporary === false && hasToken) {
    fail('URL_SECURITY_TOKEN', 'long-term credentials signed it, but it carries an X-Amz-Security-Token');
  } else if (hasToken && query.get('X-Amz-Security-Token') === '') {
    fail('URL_SECURITY_TOKEN', 'X-Amz-Security-Token is empty');
  }

  const signature = query.get('X-Amz-Signature');
  if (!signature || !isSignatureHex(signature)) {
    fail('URL_SIGNATURE_FORMAT', 'X-Amz-Signature must be 64 lowercase hex characters');
  }

  checkOtherParameters(query, expectation, fail);
}

function checkSignedHeaders(
  value: string | undefined,
  expectation: UrlExpectation,
  report: ValidationReport,
  fail: Fail,
): void {
  const { headers, wellFormed } = parseSignedHeaders(value ?? '');
  if (!wellFormed) {
    fail('URL_SIGNED_HEADERS', 'X-Amz-SignedHeaders must be a sorted, lowercase, semicolon-separated list');
    return;
  }
  // Only a well-formed list is reported: distinct names, so it stays within twice the URL's length.
  report.signedHeaders = [...headers];
  if (!headers.includes('host')) fail('URL_SIGNED_HEADERS', 'X-Amz-SignedHeaders must include host');
  if (expectation.signedHeaders === undefined) return;
  if (exactlyHostAnd(headers, expectation.signedHeaders)) return;
  const required = new Set(['host', ...expectation.signedHeaders]);
  const missing = [...required].filter((header) => !headers.includes(header));
  const unexpected = headers.filter((header) => !required.has(header));
  if (missing.length > 0) {
    fail(
      'URL_SIGNED_HEADERS',
      `X-Amz-SignedHeaders is missing ${missing.join(', ')}: the store would not enforce them`,
    );
  }
  if (unexpected.length > 0) {
    fail(
      'URL_SIGNED_HEADERS',
      `X-Amz-SignedHeaders has ${unexpected.join(', ')}, which the caller was not told to send`,
    );
  }
}

/**
 * A service signs with a handful of header lists; each is split and checked once. Foreign URLs
 * (POST /verify) may bring any list: the memo keeps the most recent 32.
 */
const parsedSignedHeaders = new LruCache<string, { headers: readonly string[]; wellFormed: boolean }>(32);

function parseSignedHeaders(value: string): { headers: readonly string[]; wellFormed: boolean } {
  let parsed = parsedSignedHeaders.get(value);
  if (parsed === undefined) {
    // An empty list splits into one empty name, which is not a header name.
    const headers = Object.freeze(value.split(';'));
    const wellFormed =
      headers.every((header) => HEADER_NAME.test(header)) &&
      headers.every((header, i) => i === 0 || (headers[i - 1] as string) < header);
    parsed = { headers, wellFormed };
    parsedSignedHeaders.set(value, parsed);
  }
  return parsed;
}

/**
 * Whether the (sorted, distinct) signed headers are exactly host plus the required ones: the
 * usual case, answered without building the sets that name what is missing or extra.
 */
function exactlyHostAnd(headers: readonly string[], required: readonly string[]): boolean {
  let expected = required.length + 1;
  for (const header of required) {
    if (header === 'host') expected--;
    else if (!headers.includes(header) || required.indexOf(header) !== required.lastIndexOf(header)) return false;
  }
  return headers.length === expected && headers.includes('host');
}

// URLs signed within the same second share X-Amz-Date, and those signed the same day with the
// same keys share X-Amz-Credential: each memo remembers the last answer, so the service's own
// URLs skip the date arithmetic and the scope's regular expression.
let lastAmzDate: string | undefined;
let lastSignedAt: number | undefined;

let lastCredential: string | undefined;
let lastScope: CredentialScope | undefined;

export type CredentialScope = readonly [
  keyId: string,
  date: string,
  region: string,
  service: string,
  terminator: string,
];

/** The five parts of ACCESS_KEY/DATE/REGION/SERVICE/aws4_request, or undefined. */
export function parseCredential(value: string): CredentialScope | undefined {
  if (value === lastCredential) return lastScope;
  const match = CREDENTIAL.exec(value);
  lastCredential = value;
  lastScope = match ? Object.freeze(match.slice(1, 6) as unknown as CredentialScope) : undefined;
  return lastScope;
}

/** Milliseconds since the epoch, or undefined when the value is not a real UTC time. */
export function parseAmzDate(value: string): number | undefined {
  if (value === lastAmzDate) return lastSignedAt;
  const match = AMZ_DATE.exec(value);
  let signedAt: number | undefined;
  if (match) {
    const [, year, month, day, hour, minute, second] = match as unknown as string[];
    const written = `${year}-${month}-${day}T${hour}:${minute}:${second}.000Z`;
    const time = Date.parse(written);
    // Date.parse rolls some out-of-range fields into the next (30 February is 2 March): the
    // time is real only when it reads back as written.
    if (!Number.isNaN(time) && new Date(time).toISOString() === written) signedAt = time;
  }
  lastAmzDate = value;
  lastSignedAt = signedAt;
  return signedAt;
}

// The report's two times, each written once per second it names.
const signedAtText = isoTimeMemo();
const expiresAtText = isoTimeMemo();
