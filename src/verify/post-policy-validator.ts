// Checks a POST policy (a browser form upload) as strictly as url-validator.ts checks a URL,
// without trusting the code that signed it: the URL the form posts to, every form field, and
// the decoded policy document, whose conditions must be exactly the ones the service meant.
// Each failed check carries its own code.
import { expectedLocation, type ExpectedLocation } from '../endpoint/expected-location.js';
import { isoTimeMemo } from '../iso-time.js';
import { failureCollector, type Fail } from './check-failures.js';
import { checkFormEncryption } from './encryption-headers.js';
import {
  describeMode,
  isSignatureHex,
  parseAmzDate,
  parseCredential,
  type ValidationReport,
  type ValidatorPolicy,
} from './url-validator.js';

export interface PostPolicyForm {
  url: string;
  fields: Readonly<Record<string, string>>;
  /**
   * The document text the signer says it encoded into Policy. Read only when Policy is exactly
   * its standard base64: then it is the text Policy decodes to, and the judgement is the same as
   * from Policy alone, without decoding it again (test/unit/verify/post-policy-validator.test.ts).
   */
  policyDocument?: string | undefined;
}

/** What the service meant to sign; every field is required. */
export interface PostPolicyExpectation {
  bucket: string;
  key: string;
  contentType: string;
  contentLengthRange: readonly [min: number, max: number];
  successActionStatus: string;
  /** Further fields the service decided (encryption, …): each must be sent as given, with an exact condition. */
  fields?: Readonly<Record<string, string>> | undefined;
  accessKeyId: string;
  temporaryCredentials: boolean;
  credentialsExpireAt?: Date | undefined;
  /** When the service meant the policy to expire; the document must say exactly this. */
  expiresAt?: Date | undefined;
  /** Signed just now: X-Amz-Date must be within the clock skew in both directions. */
  fresh?: boolean;
}

/** The fields every policy carries besides the optional security token, in any order. */
const SIGNED_FIELDS = [
  'Content-Type',
  'success_action_status',
  'bucket',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'key',
];
const FORM_ONLY_FIELDS = ['Policy', 'X-Amz-Signature'];
/** The report's two times, each written once per second it names. */
const signedAtText = isoTimeMemo();
const expiresAtText = isoTimeMemo();
const EXPIRATION = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The URL a form for this bucket must post to: the bucket's endpoint, without a key. */
export function expectedPostUrl(location: ExpectedLocation): string {
  return `${location.protocol}//${location.host}${location.pathPrefix === '' ? '/' : location.pathPrefix}`;
}

export function validatePostPolicy(
  form: PostPolicyForm,
  policy: ValidatorPolicy,
  expectation: PostPolicyExpectation,
): ValidationReport {
  const { failures, fail } = failureCollector();
  const report: ValidationReport = { valid: false, failures, bucket: expectation.bucket, key: expectation.key };

  checkUrl(form.url, policy, expectation, report, fail);
  const fields = form.fields;
  checkFieldNames(fields, expectation, fail);
  const field = (name: string) => (Object.hasOwn(fields, name) ? fields[name] : undefined);

  // The form fields S3 reads directly.
  for (const [name, value] of [
    ['bucket', expectation.bucket],
    ['key', expectation.key],
    ['Content-Type', expectation.contentType],
    ['success_action_status', expectation.successActionStatus],
    ...Object.entries(expectation.fields ?? {}),
  ] as const) {
    if (field(name) !== value) fail('POLICY_FIELDS', `form field ${name} must be ${JSON.stringify(value)}`);
  }
  checkFormEncryption(fields, expectation.bucket, policy, fail);
  if (field('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256') {
    fail('URL_ALGORITHM', `X-Amz-Algorithm must be AWS4-HMAC-SHA256, got ${field('X-Amz-Algorithm') ?? 'nothing'}`);
  }
  const amzDate = field('X-Amz-Date');
  const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (signedAt === undefined) fail('URL_DATE', `X-Amz-Date must be YYYYMMDDTHHMMSSZ, got ${amzDate ?? 'nothing'}`);
  else {
    report.signedAt = signedAtText(signedAt);
    const now = policy.now().getTime();
    const skewMs = policy.maxClockSkewSeconds * 1000;
    if (signedAt > now + skewMs || (expectation.fresh && signedAt < now - skewMs)) {
      fail('URL_DATE_SKEW', `X-Amz-Date ${amzDate} is beyond ${policy.maxClockSkewSeconds}s of the service's clock`);
    }
  }
  checkCredential(field('X-Amz-Credential'), amzDate, report.region, expectation, fail);
  const token = field('X-Amz-Security-Token');
  if (expectation.temporaryCredentials && !token) {
    fail('URL_SECURITY_TOKEN', 'temporary credentials signed it, but X-Amz-Security-Token is missing or empty');
  } else if (!expectation.temporaryCredentials && token !== undefined) {
    fail('URL_SECURITY_TOKEN', 'long-term credentials signed it, but it carries an X-Amz-Security-Token');
  }
  const signature = field('X-Amz-Signature');
  if (signature === undefined || !isSignatureHex(signature)) {
    fail('URL_SIGNATURE_FORMAT', 'X-Amz-Signature must be 64 lowercase hex characters');
  }

  const document = decodePolicy(field('Policy'), fail, form.policyDocument);
  if (document !== undefined) {
    checkExpiration(document.expiration, signedAt, policy, expectation, report, fail);
    checkConditions(document.conditions, fields, expectation, fail);
  }
  report.valid = failures.length === 0;
  return report;
}

function checkUrl(
  url: string,
  policy: ValidatorPolicy,
  expectation: PostPolicyExpectation,
  report: ValidationReport,
  fail: Fail,
): void {
  let location: ExpectedLocation;
  try {
    location = expectedLocation(policy.mode, expectation.bucket);
  } catch (error) {
    fail('URL_HOST', (error as Error).message);
    return;
  }
  report.addressing = location.addressing;
  report.region = location.signingRegion;
  const expected = expectedPostUrl(location);
  if (url === expected) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail('URL_MALFORMED', 'the form URL is not an absolute URL');
    return;
  }
  if (parsed.protocol !== location.protocol) fail('URL_SCHEME', `the form URL's scheme must be ${location.protocol}`);
  else if (parsed.host !== location.host) {
    fail('URL_HOST', `the form must post to ${location.host} under the pinned ${describeMode(policy.mode)}`);
  } else if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    fail('URL_MALFORMED', 'the form URL must carry no query, fragment or user information');
  } else fail('URL_PATH', `the form must post to ${expected}`);
}

function checkFieldNames(
  fields: Readonly<Record<string, string>>,
  expectation: PostPolicyExpectation,
  fail: Fail,
): void {
  const allowed = new Set(SIGNED_FIELDS);
  for (const name of Object.keys(expectation.fields ?? {})) allowed.add(name);
  for (const name of FORM_ONLY_FIELDS) allowed.add(name);
  if (expectation.temporaryCredentials) allowed.add('X-Amz-Security-Token');
  for (const name of Object.keys(fields)) {
    if (!allowed.has(name)) fail('POLICY_FIELDS', `form field ${name} was not asked for`);
    if (typeof fields[name] !== 'string') fail('POLICY_FIELDS', `form field ${name} is not a string`);
  }
  for (const name of allowed) {
    if (name !== 'X-Amz-Security-Token' && !Object.hasOwn(fields, name)) {
      fail('POLICY_FIELDS', `form field ${name} is missing`);
    }
  }
}

function checkCredential(
  credential: string | undefined,
  amzDate: string | undefined,
  signingRegion: string | undefined,
  expectation: PostPolicyExpectation,
  fail: Fail,
): void {
  const scope = credential === undefined ? undefined : parseCredential(credential);
  if (scope === undefined) {
    fail('URL_CREDENTIAL_SCOPE', 'X-Amz-Credential must be ACCESS_KEY/DATE/REGION/s3/aws4_request');
    return;
  }
  const [keyId, scopeDate, region, service, terminator] = scope;
  if (service !== 's3' || terminator !== 'aws4_request') {
    fail('URL_CREDENTIAL_SCOPE', `credential scope must end in /s3/aws4_request, got /${service}/${terminator}`);
  }
  if (amzDate !== undefined && scopeDate !== amzDate.slice(0, 8)) {
    fail('URL_CREDENTIAL_SCOPE', `credential scope date ${scopeDate} differs from X-Amz-Date ${amzDate}`);
  }
  // checkUrl reported the region of the bucket's pinned location, when it has one.
  if (signingRegion !== undefined && region !== signingRegion) {
    fail('URL_REGION', `credential scope names region ${region}, the pinned region is ${signingRegion}`);
  }
  if (keyId !== expectation.accessKeyId) {
    fail('URL_ACCESS_KEY', 'signed with an access key other than the service credentials');
  }
}

export interface PolicyDocument {
  expiration: unknown;
  conditions: unknown;
}

export function decodePolicy(
  encoded: string | undefined,
  fail: Fail,
  claimedText?: string | undefined,
): PolicyDocument | undefined {
  let text: string;
  if (encoded && claimedText !== undefined && claimedText.isWellFormed() && encodes(claimedText, encoded)) {
    // Buffer writes standard padded base64, which BASE64 accepts; a well-formed text comes
    // back from its own UTF-8 unchanged: exactly what decoding Policy would give.
    text = claimedText;
  } else {
    if (!encoded || !BASE64.test(encoded)) {
      fail('POLICY_MALFORMED', 'Policy must be standard padded base64');
      return undefined;
    }
    text = Buffer.from(encoded, 'base64').toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail('POLICY_MALFORMED', 'Policy does not decode to JSON');
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail('POLICY_MALFORMED', 'Policy must be a JSON object');
    return undefined;
  }
  const names = Object.keys(parsed);
  if (names.length !== 2 || !names.includes('expiration') || !names.includes('conditions')) {
    fail('POLICY_MALFORMED', 'Policy must hold exactly expiration and conditions');
    return undefined;
  }
  return parsed as PolicyDocument;
}

/** Whether `encoded` is the standard base64 of `text`'s UTF-8: one encoding, cheaper than the check and decoding. */
function encodes(text: string, encoded: string): boolean {
  // Base64 is 4 characters per 3 bytes, and UTF-8 at least a byte per UTF-16 unit: a first cut.
  if (encoded.length < Math.ceil(text.length / 3) * 4) return false;
  return Buffer.from(text, 'utf8').toString('base64') === encoded;
}

export function checkExpiration(
  expiration: unknown,
  signedAt: number | undefined,
  policy: ValidatorPolicy,
  expectation: Pick<PostPolicyExpectation, 'expiresAt' | 'credentialsExpireAt'>,
  report: ValidationReport,
  fail: Fail,
): void {
  const at = typeof expiration === 'string' && EXPIRATION.test(expiration) ? Date.parse(expiration) : Number.NaN;
  if (Number.isNaN(at)) {
    fail('POLICY_EXPIRATION', 'the policy expiration must be an ISO 8601 UTC time');
    return;
  }
  report.expiresAt = expiresAtText(at);
  if (expectation.expiresAt !== undefined && at !== Math.floor(expectation.expiresAt.getTime() / 1000) * 1000) {
    fail('POLICY_EXPIRATION', `the policy expires at ${report.expiresAt}, not when it was meant to`);
  }
  if (at <= policy.now().getTime()) fail('POLICY_EXPIRATION', `the policy expired at ${report.expiresAt}`);
  if (signedAt !== undefined) {
    if (at <= signedAt) fail('POLICY_EXPIRATION', 'the policy expires before it was signed');
    else if (at - signedAt > policy.maxExpiresSeconds * 1000) {
      fail(
        'URL_EXPIRES_OVER_MAXIMUM',
        `the policy lives longer than the configured maximum ${policy.maxExpiresSeconds}s`,
      );
    }
  }
  if (expectation.credentialsExpireAt && at > expectation.credentialsExpireAt.getTime()) {
    fail('URL_EXPIRES_AFTER_CREDENTIALS', 'the policy outlives its credentials');
  }
}

/**
 * Exactly one condition per signed field, each an exact match ({name: value}) on the value the
 * form sends, plus one content-length-range: nothing that widens what S3 accepts (no
 * `starts-with`, no unbounded or different range, no condition on a field the form lacks).
 */
function checkConditions(
  conditions: unknown,
  fields: Readonly<Record<string, string>>,
  expectation: PostPolicyExpectation,
  fail: Fail,
): void {
  if (!Array.isArray(conditions)) {
    fail('POLICY_MALFORMED', 'the policy conditions must be an array');
    return;
  }
  const exact = new Map<string, unknown>();
  let range: unknown[] | undefined;
  for (const condition of conditions as unknown[]) {
    if (Array.isArray(condition) && condition[0] === 'content-length-range') {
      if (range !== undefined) fail('POLICY_CONDITIONS', 'content-length-range appears more than once');
      range = condition;
      continue;
    }
    if (typeof condition === 'object' && condition !== null && !Array.isArray(condition)) {
      // Its one name, then its value: Object.entries built an array per condition for the same.
      const names = Object.keys(condition);
      if (names.length !== 1) {
        fail('POLICY_CONDITIONS', 'each exact-match condition names exactly one field');
        continue;
      }
      const name = names[0] as string;
      const value: unknown = (condition as Record<string, unknown>)[name];
      if (exact.has(name)) fail('POLICY_CONDITIONS', `field ${name} is matched more than once`);
      exact.set(name, value);
      continue;
    }
    fail('POLICY_CONDITIONS', `condition ${describeCondition(condition)} is not an exact match or the size range`);
  }
  const [min, max] = expectation.contentLengthRange;
  if (range === undefined) fail('POLICY_CONDITIONS', 'content-length-range is missing: S3 would take any size');
  else if (range.length !== 3 || range[1] !== min || range[2] !== max) {
    fail('POLICY_CONDITIONS', `content-length-range must be [${min}, ${max}]`);
  }
  const signed = new Set(SIGNED_FIELDS);
  for (const name of Object.keys(expectation.fields ?? {})) signed.add(name);
  if (Object.hasOwn(fields, 'X-Amz-Security-Token')) signed.add('X-Amz-Security-Token');
  for (const name of signed) {
    if (!exact.has(name)) fail('POLICY_CONDITIONS', `field ${name} has no exact condition`);
    else if (exact.get(name) !== fields[name]) {
      fail('POLICY_CONDITIONS', `the condition on ${name} differs from the form field`);
    }
  }
  for (const name of exact.keys()) {
    if (!signed.has(name)) fail('POLICY_CONDITIONS', `condition on ${name}, which the form does not send`);
  }
}

/** Deeper conditions are named by kind: printing them would recurse as deep as the caller nested them. */
const PRINTABLE_DEPTH = 32;

/**
 * A condition as a message names it: its JSON (the message is cut short later), or "a nested
 * array" when too deep to print. Only arrays and scalars come here: objects are exact matches.
 */
function describeCondition(condition: unknown): string {
  return nestingDepthOver(condition, PRINTABLE_DEPTH) ? 'a nested array' : String(JSON.stringify(condition));
}

/** Whether arrays and objects nest deeper than limit; walked with a stack of its own, each value once. */
function nestingDepthOver(value: unknown, limit: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
