// Reading a URL as written: its raw parts, whether it is in the one canonical form, its
// origin (parsed only when it is not byte for byte the expected one) and its query, decoded
// as SigV4 reads it.
import type { EndpointMode } from '../endpoint/endpoint-mode.js';
import type { ExpectedLocation } from '../endpoint/expected-location.js';
import type { Fail } from './check-failures.js';
import { safeLocation } from './url-location.js';
import { GET_OVERRIDES, SDK_PARAMETERS, SIGV4_PARAMETERS } from './url-parameters.js';
import type { ParsedOrigin, UrlExpectation } from './types.js';
import type { WorkCounter } from '../work-counter.js';

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:$/;
const PORT_SUFFIX = /:\d+$/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;

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

/**
 * Lowercase host name (or bracketed IPv6 address) and an optional port: the only authority
 * every URL parser splits and reads alike. Whatever else parsers disagree on (`\`, `@`,
 * `%`, whitespace, characters IDNA drops) is outside this set.
 */
const CANONICAL_AUTHORITY = /^(?:[a-z0-9_.-]+|\[[0-9a-f:.]+\])(?::[0-9]+)?$/;
const AUTHORITY_CHARACTER = /[a-z0-9_.\-:[\]]/;
const NOT_PRINTABLE_ASCII = /[^!-~]/;

/**
 * Why the URL, as written, is not in the one form the service emits, or undefined. Read on
 * the raw text before any parser normalises it: WHATWG URL parsing reads `\` as `/`, drops
 * tabs and IDNA-ignored characters and decodes %-escapes in the host, while curl, Python and
 * Node's legacy url.parse do none of that or something else, so one spelling can reach two
 * hosts. Whether a given parser would happen to agree is not asked: only the canonical
 * spelling passes, and every spelling of it reaches the same host everywhere.
 */
export function canonicalFormProblem(url: string, raw: RawUrl): string | undefined {
  const beforeQuery = raw.scheme.length + 2 + raw.authority.length + raw.path.length;
  // A query of the characters its form keeps is printable ASCII: the search for what is not
  // then reads only what comes before it, most often a sixth of the URL (the query holds the
  // credential, the session token and the signature).
  const keptQuery = raw.query === undefined || !NOT_KEPT_IN_QUERY.test(raw.query);
  const searched = keptQuery && raw.fragment === undefined ? url.slice(0, beforeQuery) : url;
  // A regular expression's search: half the cost of a loop over char codes (a 480-character
  // URL: 1.1 against 2.2 µs, on the shared machine).
  const odd = searched.search(NOT_PRINTABLE_ASCII);
  if (odd !== -1) {
    return `${describeCharacter(url.codePointAt(odd) as number)} at position ${odd}: a presigned URL is printable ASCII, nothing URL parsers could drop, keep or re-encode differently`;
  }
  if (raw.scheme !== raw.scheme.toLowerCase()) return `the scheme must be written in lowercase`;
  const backslash = url.lastIndexOf('\\', beforeQuery - 1);
  if (backslash !== -1) {
    return `a backslash at position ${backslash}: WHATWG URL parsing reads it as "/", other parsers do not`;
  }
  const { authority } = raw;
  if (authority.includes('@')) {
    // The user information is not echoed: it may hold a password.
    return 'user information ("…@") in the authority: parsers disagree on which host follows it';
  }
  if (authority.includes('%')) return 'a %-escape in the authority: the host must be written as plain ASCII';
  if (authority === '') return 'the URL names no host';
  if (!CANONICAL_AUTHORITY.test(authority)) {
    const odd = [...authority].find((character) => !AUTHORITY_CHARACTER.test(character));
    return odd === undefined
      ? 'the authority must be a lowercase host name with an optional :port'
      : /[A-Z]/.test(odd)
        ? `an uppercase letter "${odd}" in the host: it must be written in lowercase`
        : `"${odd}" in the authority: it must be a lowercase host name with an optional :port`;
  }
  if (raw.query === undefined || (keptQuery && !hasSecondEquals(raw.query))) return undefined;
  return queryFormProblem(raw.query);
}

/** In a query, a character the service's encoder (SigV4's UriEncode) never leaves raw. */
const NOT_KEPT_IN_QUERY = /[^\w.~%&=-]/;
/**
 * The same, or a parameter's second `=`, matched from the first: the leftmost match is the
 * refusal's place. Linear: each alternative is tried in constant time at a position, but the
 * second, which reads on to the next `=` or `&` and so reads each character for one `=` only.
 */
const NOT_CANONICAL_IN_QUERY = /[^\w.~%&=-]|=[^&=]*=/;

/**
 * Why the query is not in the form the service's encoder writes: anything but the unreserved
 * characters, `%` of an escape, `&` between parameters and one `=` per parameter. Asked only of
 * a query that is not: one in that form (every URL the service signs) is passed by the
 * character-class search and hasSecondEquals above. NOT_CANONICAL_IN_QUERY, trying both
 * alternatives at every position, cost nearly three times as much (2.5–3.5 against 1.2 µs on
 * the bench's URLs), a fifth of validating one.
 */
function queryFormProblem(query: string): string {
  const found = NOT_CANONICAL_IN_QUERY.exec(query) as RegExpExecArray;
  return found[0].length === 1
    ? `a raw "${found[0]}" at position ${found.index} of the query: a presigned URL's query holds only unreserved characters, %-escapes, "&" and one "=" per parameter (curl reads [ ] { } as globs)`
    : `a second "=" in the parameter at position ${found.index} of the query: "=" in a value is written %3D`;
}

/** Whether a parameter holds a second `=`: the searches for `=` and for `&` each read a character once. */
function hasSecondEquals(query: string): boolean {
  for (let equals = query.indexOf('='); equals !== -1;) {
    const next = query.indexOf('=', equals + 1);
    if (next === -1) return false;
    const ampersand = query.indexOf('&', equals + 1);
    if (ampersand === -1 || ampersand > next) return true;
    equals = next;
  }
  return false;
}

/**
 * Why the raw path holds a `.` or `..` segment, in any spelling (`..`, `%2e%2E`, `.%2e`, …), or
 * undefined. Browsers, curl, undici and urllib3 remove such a segment and the one before it,
 * Go, Java, curl --path-as-is and url.parse send it as written: `/../my-bucket/key` reaches
 * bucket `my-bucket` for some clients and `..` for others, and `/base/../other/…` leaves a
 * base path. So none is read as a bucket, a base path or a key. Each segment is looked at once
 * (only those of at most six characters, the longest spelling, are decoded).
 */
export function dotSegmentProblem(path: string, work?: WorkCounter): string | undefined {
  for (let start = 1; start <= path.length;) {
    let end = path.indexOf('/', start);
    if (end === -1) end = path.length;
    if (work !== undefined) work.steps += end - start + 1;
    if (end - start <= 6 && end > start) {
      const segment = path.slice(start, end);
      const decoded = segment.toLowerCase().replaceAll('%2e', '.');
      if (decoded === '.' || decoded === '..') {
        return `a "${decoded}" path segment ("${segment}" at position ${start}): browsers, curl and urllib3 drop it with the segment before, other clients send it, so they request different buckets and keys`;
      }
    }
    start = end + 1;
  }
  return undefined;
}

const CHARACTER_NAMES: ReadonlyMap<number, string> = new Map([
  [0x09, 'a tab'],
  [0x0a, 'a line feed'],
  [0x0d, 'a carriage return'],
  [0x20, 'a space'],
  [0x7f, 'a DEL'],
  [0xa0, 'a no-break space'],
  [0xad, 'a soft hyphen'],
  [0x200b, 'a zero-width space'],
  [0x200c, 'a zero-width non-joiner'],
  [0x200d, 'a zero-width joiner'],
  [0xfeff, 'a zero-width no-break space'],
]);

function describeCharacter(codePoint: number): string {
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = CHARACTER_NAMES.get(codePoint);
  if (name !== undefined) return `${name} (${hex})`;
  return codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)
    ? `a control character (${hex})`
    : `the non-ASCII character ${hex}`;
}

/**
 * The hot path is the service checking a URL it just signed, for a bucket it knows. When the
 * raw scheme and authority are byte for byte the expected ones, and those are already in the
 * form URL parsing produces, parsing would only hand them back: the checks see exactly what
 * they would have seen, for a fraction of the cost. Anything else is parsed in full.
 * The authority has passed canonicalFormProblem, so it holds no user information.
 */
export function parseOrigin(
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
      canonical = parsed.protocol === expected.protocol && parsed.host === expected.host;
    } catch {
      canonical = false;
    }
    canonicalOrigins.set(expected, canonical);
  }
  return canonical;
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

export function parseQuery(rawQuery: string, fail: Fail): Map<string, string> {
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
