// Checks a presigned URL against the pinned mode without trusting the code that signed it:
// the expected host and path come from src/endpoint/expected-location.ts, every query
// parameter is accounted for, and each failed check carries its own stable code.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import {
  BucketAddressError,
  expectedLocation,
  isLegacyGlobalHost,
  modeHosts,
  type Addressing,
  type ExpectedLocation,
} from '../endpoint/expected-location.js';
import { objectKeyProblem } from '../endpoint/object-key.js';
import { encodeObjectKey, uriEncode } from '../endpoint/s3-uri-encoding.js';
import { SIGV4_MAX_EXPIRES_SECONDS, type Config } from '../config/config.js';
import type { UrlCheckCode } from '../errors.js';

export interface ValidatorPolicy {
  mode: EndpointMode;
  maxExpiresSeconds: number;
  maxClockSkewSeconds: number;
  now: () => Date;
}

/** The policy a configuration implies; the service and the CLI hold URLs to the same one. */
export function validatorPolicy(config: Config, now: () => Date = () => new Date()): ValidatorPolicy {
  return {
    mode: config.mode,
    maxExpiresSeconds: config.presign.maxExpiresSeconds,
    maxClockSkewSeconds: config.presign.maxClockSkewSeconds,
    now,
  };
}

/** What the service knows about a URL it just signed; empty for a URL from elsewhere. */
export interface UrlExpectation {
  bucket?: string;
  key?: string;
  /** Headers the caller was told to send, lowercase; `host` is always required. */
  signedHeaders?: readonly string[];
  /** Extra query parameters asked for (response overrides), exactly. */
  queryParameters?: Readonly<Record<string, string>>;
  accessKeyId?: string;
  /** Whether the signing credentials were temporary (a session token is then required). */
  temporaryCredentials?: boolean;
  credentialsExpireAt?: Date;
  /** Signed just now: X-Amz-Date must be within the clock skew in both directions. */
  fresh?: boolean;
  /**
   * A multipart part URL: `x-id` must then be UploadPart, and `uploadId` and `partNumber`
   * come through queryParameters like any other expected parameter.
   */
  uploadPart?: boolean;
}

export interface UrlCheckFailure {
  code: UrlCheckCode;
  message: string;
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
}

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:$/;
const PORT_SUFFIX = /:\d+$/;
const EXPIRES_DIGITS = /^\d{1,7}$/;
const HEADER_NAME = /^[a-z0-9-]+$/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const CREDENTIAL = /^([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/([^/]+)$/;

/** 1 for the ASCII codes of 0-9 and a-f. */
const LOWER_HEX_DIGIT = new Uint8Array(128);
for (const digit of '0123456789abcdef') LOWER_HEX_DIGIT[digit.charCodeAt(0)] = 1;

/** /^[0-9a-f]{64}$/ by table lookup: about half the regular expression's cost, a third of comparing ranges. */
export function isSignatureHex(value: string): boolean {
  if (value.length !== 64) return false;
  for (let i = 0; i < 64; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128 || LOWER_HEX_DIGIT[code] === 0) return false;
  }
  return true;
}

const SIGV4_PARAMETERS = new Set([
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
const SDK_PARAMETERS: ReadonlyMap<string, RegExp> = new Map([
  ['X-Amz-Content-Sha256', /^UNSIGNED-PAYLOAD$/],
  ['x-id', /^(GetObject|PutObject)$/],
]);
/** Parameters a URL made elsewhere may carry for a GET; our own carry them only when asked. */
const GET_OVERRIDES = new Set([
  'response-content-disposition',
  'response-content-type',
  'response-content-language',
  'response-content-encoding',
  'response-cache-control',
  'response-expires',
  'versionId',
]);

export interface RawUrl {
  /** With its colon: `https:`. */
  scheme: string;
  authority: string;
  path: string;
  query: string | undefined;
  fragment: string | undefined;
}

/**
 * The URL's parts exactly as written, exactly as
 * /^([a-zA-Z][a-zA-Z0-9+.-]*:)\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(#.*)?$/ captures them (and
 * undefined where it does not match, as when the fragment holds a line break, which `.` does
 * not match), found with indexOf rather than the regular expression: a third of the cost.
 */
export function splitRawUrl(url: string): RawUrl | undefined {
  const colon = url.indexOf(':');
  if (colon < 1) return undefined;
  const scheme = url.slice(0, colon + 1);
  if (!SCHEME.test(scheme) || url.charCodeAt(colon + 1) !== 0x2f || url.charCodeAt(colon + 2) !== 0x2f) {
    return undefined;
  }
  const start = colon + 3;
  const hash = url.indexOf('#', start);
  const end = hash === -1 ? url.length : hash;
  let question = url.indexOf('?', start);
  if (question > end) question = -1;
  const pathEnd = question === -1 ? end : question;
  let slash = url.indexOf('/', start);
  if (slash === -1 || slash > pathEnd) slash = pathEnd;
  const fragment = hash === -1 ? undefined : url.slice(hash);
  if (fragment !== undefined && LINE_TERMINATOR.test(fragment)) return undefined;
  return {
    scheme,
    authority: url.slice(start, slash),
    path: url.slice(slash, pathEnd),
    query: question === -1 ? undefined : url.slice(question + 1, end),
    fragment,
  };
}

export function validatePresignedUrl(
  url: string,
  policy: ValidatorPolicy,
  expectation: UrlExpectation = {},
): ValidationReport {
  const failures: UrlCheckFailure[] = [];
  const fail = (code: UrlCheckCode, message: string) => failures.push({ code, message });
  const report: ValidationReport = { valid: false, failures };

  const raw = splitRawUrl(url);
  const parsedUrl = raw ? parseOrigin(url, raw.scheme, raw.authority, policy.mode, expectation) : undefined;
  if (!raw || !parsedUrl) {
    fail('URL_MALFORMED', 'not an absolute http(s) URL');
    return report;
  }
  if (parsedUrl.username || parsedUrl.password) {
    fail('URL_MALFORMED', 'a presigned URL must not carry user information (user:password@)');
  }
  const rawPath = raw.path;
  const rawQuery = raw.query ?? '';
  if (raw.fragment !== undefined) fail('URL_FRAGMENT', 'a presigned URL must not carry a #fragment');

  const query = parseQuery(rawQuery, fail);
  checkLocation(parsedUrl, rawPath, policy.mode, expectation, report, fail);
  const signingRegion =
    report.bucket === undefined ? undefined : safeLocation(policy.mode, report.bucket)?.signingRegion;
  checkSignature(query, policy, expectation, signingRegion, report, fail);

  report.valid = failures.length === 0;
  return report;
}

/** The parts of a URL's origin the checks read, as WHATWG URL parsing gives them. */
type ParsedOrigin = Pick<URL, 'protocol' | 'host' | 'hostname' | 'username' | 'password'>;

/**
 * The hot path is the service checking a URL it just signed, for a bucket it knows. When the
 * raw scheme and authority are byte for byte the expected ones, and those are already in the
 * form URL parsing produces, parsing would only hand them back: the checks see exactly what
 * they would have seen, for a fraction of the cost. Anything else is parsed in full.
 */
function parseOrigin(
  url: string,
  scheme: string,
  authority: string,
  mode: EndpointMode,
  expectation: UrlExpectation,
): ParsedOrigin | undefined {
  if (expectation.bucket !== undefined) {
    const expected = safeLocation(mode, expectation.bucket);
    if (expected && scheme === expected.protocol && authority === expected.host && isCanonicalOrigin(expected)) {
      return {
        protocol: scheme,
        host: authority,
        hostname: authority.replace(PORT_SUFFIX, ''),
        username: '',
        password: '',
      };
    }
  }
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}

const canonicalOrigins = new WeakMap<ExpectedLocation, boolean>();

/** Whether URL parsing leaves the expected scheme and host as they are (it lowercases, drops default ports, …). */
function isCanonicalOrigin(expected: ExpectedLocation): boolean {
  let canonical = canonicalOrigins.get(expected);
  if (canonical === undefined) {
    try {
      const parsed = new URL(`${expected.protocol}//${expected.host}/`);
      canonical =
        parsed.protocol === expected.protocol &&
        parsed.host === expected.host &&
        parsed.username === '' &&
        parsed.password === '';
    } catch {
      canonical = false;
    }
    canonicalOrigins.set(expected, canonical);
  }
  return canonical;
}

function safeLocation(mode: EndpointMode, bucket: string) {
  try {
    return expectedLocation(mode, bucket);
  } catch {
    return undefined;
  }
}

/** The names this module looks up, by length. */
const KNOWN_NAMES_BY_LENGTH: string[][] = [];
for (const name of [...SIGV4_PARAMETERS, ...SDK_PARAMETERS.keys(), ...GET_OVERRIDES, 'AWSAccessKeyId', 'Signature']) {
  (KNOWN_NAMES_BY_LENGTH[name.length] ??= []).push(name);
}

/**
 * The module's own constant for the name written at text[start, end) when it is one this
 * module knows, read in place; undefined otherwise. A freshly sliced and decoded name has no
 * hash yet: every Map, Set and property lookup would compute one, and every comparison with
 * another string reads characters. The constants are interned, hashed once and compared by
 * identity. Measured with bench/in-process.mjs (validation alone, median of 7): 4.89 → 4.57 µs.
 */
function knownNameAt(text: string, start: number, end: number): string | undefined {
  const candidates = KNOWN_NAMES_BY_LENGTH[end - start];
  if (candidates !== undefined) for (const known of candidates) if (text.startsWith(known, start)) return known;
  return undefined;
}

function parseQuery(rawQuery: string, fail: (code: UrlCheckCode, message: string) => void): Map<string, string> {
  const query = new Map<string, string>();
  if (rawQuery === '') return query;
  // What split('&') then split at the first '=' would give, without the intermediate strings.
  // The next '=' is remembered across pairs, so a query of '&'s without '=' stays linear.
  let nextEquals = -1;
  for (let start = 0; start <= rawQuery.length;) {
    let end = rawQuery.indexOf('&', start);
    if (end === -1) end = rawQuery.length;
    if (nextEquals !== Infinity && nextEquals < start) {
      nextEquals = rawQuery.indexOf('=', start);
      if (nextEquals === -1) nextEquals = Infinity;
    }
    const separator = nextEquals < end ? nextEquals : -1;
    const nameEnd = separator === -1 ? end : separator;
    const pairStart = start;
    const rawValue = separator === -1 ? '' : rawQuery.slice(separator + 1, end);
    start = end + 1;
    let name: string;
    let value: string;
    try {
      // Not URLSearchParams: it reads `+` as a space, which SigV4 never does. A known name
      // written without escapes is taken as is; any other is decoded, then recognised.
      const known = knownNameAt(rawQuery, pairStart, nameEnd);
      if (known !== undefined) {
        name = known;
      } else {
        const decoded = decodeComponent(rawQuery.slice(pairStart, nameEnd));
        name = knownNameAt(decoded, 0, decoded.length) ?? decoded;
      }
      value = decodeComponent(rawValue);
    } catch {
      fail('URL_MALFORMED', `query parameter "${rawQuery.slice(pairStart, nameEnd)}" is not valid percent-encoding`);
      continue;
    }
    // One lookup, not two: a name seen before leaves the size as it was.
    const size = query.size;
    query.set(name, value);
    if (query.size === size) fail('URL_DUPLICATE_PARAMETER', `query parameter "${name}" appears more than once`);
  }
  return query;
}

const hexDigit = (code: number) =>
  code >= 0x30 && code <= 0x39
    ? code - 0x30
    : code >= 0x61 && code <= 0x66
      ? code - 0x57
      : code >= 0x41 && code <= 0x46
        ? code - 0x37
        : -1;

/**
 * decodeURIComponent, faster where it is easy: escapes of ASCII characters (credentials,
 * tokens, ordinary values) are decoded here; anything else (UTF-8 sequences, broken escapes)
 * goes to decodeURIComponent whole, so the result, or the URIError, is exactly its own.
 */
function decodeComponent(value: string): string {
  let percent = value.indexOf('%');
  if (percent === -1) return value;
  let out = '';
  let copied = 0;
  while (percent !== -1) {
    const high = hexDigit(value.charCodeAt(percent + 1));
    const low = hexDigit(value.charCodeAt(percent + 2));
    if (high < 0 || high > 7 || low < 0) return decodeURIComponent(value);
    out += value.slice(copied, percent) + String.fromCharCode(high * 16 + low);
    copied = percent + 3;
    percent = value.indexOf('%', copied);
  }
  return out + value.slice(copied);
}

/** Scheme, host, port and path: the parts of the URL the signature cannot vouch for. */
function checkLocation(
  url: ParsedOrigin,
  rawPath: string,
  mode: EndpointMode,
  expectation: UrlExpectation,
  report: ValidationReport,
  fail: (code: UrlCheckCode, message: string) => void,
): void {
  if (isLegacyGlobalHost(url.hostname)) {
    fail('URL_GLOBAL_ENDPOINT', `host ${url.hostname} is the legacy global S3 endpoint, never a pinned route`);
    return;
  }
  const bucket = expectation.bucket ?? inferBucket(url.host, rawPath, mode);
  if (bucket === undefined) {
    fail('URL_HOST', `host ${url.host} is not an S3 endpoint of the pinned ${describeMode(mode)}`);
    return;
  }
  let expected;
  try {
    expected = expectedLocation(mode, bucket);
  } catch (error) {
    if (!(error instanceof BucketAddressError)) throw error;
    fail('URL_HOST', error.message);
    return;
  }
  report.bucket = bucket;
  report.addressing = expected.addressing;
  report.region = expected.signingRegion;

  if (url.protocol !== expected.protocol) {
    fail('URL_SCHEME', `scheme must be ${expected.protocol.slice(0, -1)}, got ${url.protocol.slice(0, -1)}`);
  }
  const keyPrefix = `${expected.pathPrefix}/`;
  if (url.host !== expected.host) {
    // Only the mode's own host for the other style is a style mistake; any other host is the wrong route.
    // Modes with one style still have an obvious other-style spelling of their host.
    const hosts = modeHosts(mode);
    const pathStyleHost = hosts.pathStyleHost ?? hosts.bucketHostSuffix?.slice(1);
    const virtualHost = `${bucket}${hosts.bucketHostSuffix ?? `.${hosts.pathStyleHost}`}`;
    const styleMismatch =
      expected.addressing === 'virtual-hosted'
        ? url.host === pathStyleHost && rawPath.startsWith(`${hosts.basePath}/${uriEncode(bucket)}/`)
        : url.host === virtualHost;
    fail(
      styleMismatch ? 'URL_ADDRESSING_STYLE' : 'URL_HOST',
      styleMismatch
        ? `bucket "${bucket}" must be addressed ${expected.addressing} under the pinned ${describeMode(mode)} (host ${expected.host})`
        : `host must be ${expected.host}, got ${url.host}`,
    );
    return;
  }
  if (!rawPath.startsWith(keyPrefix)) {
    fail('URL_PATH', `path must start with ${keyPrefix}`);
    return;
  }
  const encodedKey = rawPath.slice(keyPrefix.length);
  if (expectation.key !== undefined) {
    report.key = expectation.key;
    if (encodedKey !== encodeObjectKey(expectation.key)) {
      fail('URL_PATH', `path must be ${keyPrefix}${encodeObjectKey(expectation.key)}, got ${rawPath}`);
    }
    return;
  }
  let key: string;
  try {
    key = encodedKey.split('/').map(decodeURIComponent).join('/');
  } catch {
    fail('URL_PATH', 'the key in the path is not valid percent-encoding');
    return;
  }
  report.key = key;
  const problem = objectKeyProblem(key);
  if (problem) fail('URL_KEY', `object key ${problem}`);
  else if (encodeObjectKey(key) !== encodedKey) {
    fail('URL_PATH', `the key is not encoded the way S3 expects: ${keyPrefix}${encodeObjectKey(key)}`);
  }
}

/**
 * Reads the bucket out of a URL from elsewhere: an access point's host, a path-style
 * path's first segment, or a virtual-hosted host's first label(s). expectedLocation then
 * decides whether that is how the mode must address it.
 */
function inferBucket(host: string, rawPath: string, mode: EndpointMode): string | undefined {
  const hosts = modeHosts(mode);
  if (
    (mode.kind === 'regional' || mode.kind === 'interface') &&
    hosts.accessPointHostSuffix &&
    host.endsWith(hosts.accessPointHostSuffix)
  ) {
    const label = host.slice(0, -hosts.accessPointHostSuffix.length);
    const split = label.lastIndexOf('-');
    if (split > 0) {
      return `arn:${mode.partition.name}:s3:${mode.region}:${label.slice(split + 1)}:accesspoint/${label.slice(0, split)}`;
    }
  }
  if (host === hosts.pathStyleHost) {
    if (!rawPath.startsWith(`${hosts.basePath}/`)) return undefined;
    const segment = rawPath.slice(hosts.basePath.length + 1).split('/')[0];
    return segment ? safeDecode(segment) : undefined;
  }
  if (hosts.bucketHostSuffix && host.endsWith(hosts.bucketHostSuffix) && host.length > hosts.bucketHostSuffix.length) {
    return host.slice(0, -hosts.bucketHostSuffix.length);
  }
  return undefined;
}

function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function checkSignature(
  query: Map<string, string>,
  policy: ValidatorPolicy,
  expectation: UrlExpectation,
  signingRegion: string | undefined,
  report: ValidationReport,
  fail: (code: UrlCheckCode, message: string) => void,
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
  fail: (code: UrlCheckCode, message: string) => void,
): void {
  const { headers, wellFormed } = parseSignedHeaders(value ?? '');
  report.signedHeaders = [...headers];
  if (!wellFormed) {
    fail('URL_SIGNED_HEADERS', 'X-Amz-SignedHeaders must be a sorted, lowercase, semicolon-separated list');
    return;
  }
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

/** A service signs with a handful of header lists; each is split and checked once. */
const parsedSignedHeaders = new Map<string, { headers: readonly string[]; wellFormed: boolean }>();

function parseSignedHeaders(value: string): { headers: readonly string[]; wellFormed: boolean } {
  let parsed = parsedSignedHeaders.get(value);
  if (parsed === undefined) {
    const headers = Object.freeze(value === '' ? [] : value.split(';'));
    const wellFormed =
      headers.length > 0 &&
      headers.every((header) => HEADER_NAME.test(header)) &&
      headers.every((header, i) => i === 0 || (headers[i - 1] as string) < header);
    parsed = { headers, wellFormed };
    // Foreign URLs (POST /verify) may bring any list: the memo stays small.
    if (parsedSignedHeaders.size >= 32) parsedSignedHeaders.clear();
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

function checkOtherParameters(
  query: Map<string, string>,
  expectation: UrlExpectation,
  fail: (code: UrlCheckCode, message: string) => void,
): void {
  const asked = expectation.queryParameters;
  query.forEach((value, name) => {
    if (SIGV4_PARAMETERS.has(name)) return;
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
    const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
    const date = new Date(Date.UTC(year!, month! - 1, day!, hour!, minute!, second!));
    if (date.getUTCDate() === day && date.getUTCHours() === hour) signedAt = date.getTime();
  }
  lastAmzDate = value;
  lastSignedAt = signedAt;
  return signedAt;
}

function isoMemo(): (epochMs: number) => string {
  let lastMs = Number.NaN;
  let lastText = '';
  return (epochMs) => {
    if (epochMs !== lastMs) {
      lastText = new Date(epochMs).toISOString();
      lastMs = epochMs;
    }
    return lastText;
  };
}
const signedAtText = isoMemo();
const expiresAtText = isoMemo();

export function describeMode(mode: EndpointMode): string {
  switch (mode.kind) {
    case 'regional':
      return `regional mode (${mode.region}${mode.useFips ? ', FIPS' : ''}${mode.useDualstack ? ', dual-stack' : ''})`;
    case 'interface':
      return `interface mode (${mode.vpceDnsName})`;
    case 'accelerate':
      return `accelerate mode${mode.useDualstack ? ' (dual-stack)' : ''}`;
    case 'custom':
    case 'local':
      return `${mode.kind} mode (${mode.endpoint.origin})`;
  }
}
