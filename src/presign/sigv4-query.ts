// SigV4 query-string signing (AWS "Authenticating Requests: Using Query Parameters"): the
// canonical request, the string to sign and the URL, from one decided request.
import { hash } from 'node:crypto';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import { amzDates, sharedSigningKeys, type SigningKeyCache } from './signing-key.js';
import { encodeRepeated, uriEncode } from './sigv4-encoding.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SigV4 refuses presigned URLs that live longer than seven days; so does the SDK. */
const MAX_EXPIRES_SECONDS = 604_800;

export interface SigV4QueryRequest {
  method: string;
  /** `scheme://authority` exactly as the URL starts. */
  origin: string;
  /** The Host header the client will send: the authority, with `:port` unless it is the default. */
  host: string;
  /** The path as it goes on the wire and into the canonical request: S3 encodes once and never normalises. */
  path: string;
  /** Query parameters other than the X-Amz-* ones signing adds, unencoded. */
  query?: ReadonlyArray<readonly [name: string, value: string]>;
  /** Headers to sign besides host, by lowercase name. */
  headers?: Readonly<Record<string, string>>;
  credentials: AwsCredentialIdentity;
  region: string;
  service: string;
  signingDate: Date;
  expiresIn: number;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD (the default, and what S3 presigning uses). */
  payloadHash?: string;
}

/**
 * Returns the presigned URL. Parameters are sorted by their encoded names, in the canonical
 * query and in the URL alike (the SDK sorts the URL by raw names: the same order for every
 * name S3 presigning uses, which are all unreserved characters).
 */
export function presignSigV4Query(request: SigV4QueryRequest, keys: SigningKeyCache = sharedSigningKeys): string {
  const { credentials, expiresIn } = request;
  if (typeof credentials.accessKeyId !== 'string' || typeof credentials.secretAccessKey !== 'string') {
    throw new TypeError('Resolved credential object is not valid');
  }
  if (!(expiresIn <= MAX_EXPIRES_SECONDS)) {
    throw new RangeError(`SigV4 presigned URLs must expire within ${MAX_EXPIRES_SECONDS} seconds`);
  }
  const { longDate, shortDate } = amzDates(request.signingDate);
  const { scope, credentialParam } = credentialScope(
    credentials.accessKeyId,
    shortDate,
    request.region,
    request.service,
  );

  const headers = request.headers ?? {};
  const headerNames = Object.keys(headers);
  let canonicalHeaders: string;
  let signedHeaders: string;
  if (headerNames.length === 0) {
    canonicalHeaders = `host:${canonicalHeaderValue(request.host)}\n`;
    signedHeaders = 'host';
  } else {
    for (const name of headerNames) {
      if (name === 'host' || name !== name.toLowerCase()) {
        throw new TypeError(`headers are named in lowercase and never host (it is always signed), got ${name}`);
      }
    }
    headerNames.push('host');
    headerNames.sort();
    canonicalHeaders = '';
    for (const name of headerNames) {
      canonicalHeaders += `${name}:${canonicalHeaderValue(name === 'host' ? request.host : (headers[name] as string))}\n`;
    }
    signedHeaders = headerNames.join(';');
  }

  // SigV4's own parameters in sorted order, merged with the caller's (encoded, sorted): those
  // that sort before X-Amz-Signature go before it in the URL, the rest after. Of SigV4's own,
  // only X-Amz-SignedHeaders sorts after it. An empty token is no token, as in the SDK.
  const own = [ALGORITHM_PAIR, credentialParam, `X-Amz-Date=${longDate}`, `X-Amz-Expires=${expiresIn.toString(10)}`];
  if (credentials.sessionToken) own.push(`X-Amz-Security-Token=${encodeRepeated(credentials.sessionToken)}`);
  const extra = encodeSorted(request.query);
  let before = '';
  let j = 0;
  for (let i = 0; i < own.length; i++) {
    const name = OWN_NAMES_BEFORE_SIGNATURE[i] as string;
    for (; j < extra.length && (extra[j] as [string, string])[0] < name; j++) {
      before = before === '' ? (extra[j] as [string, string])[1] : `${before}&${(extra[j] as [string, string])[1]}`;
    }
    before = before === '' ? (own[i] as string) : `${before}&${own[i] as string}`;
  }
  for (; j < extra.length && (extra[j] as [string, string])[0] < 'X-Amz-Signature'; j++) {
    before = `${before}&${(extra[j] as [string, string])[1]}`;
  }
  let after = '';
  for (; j < extra.length && (extra[j] as [string, string])[0] < 'X-Amz-SignedHeaders'; j++) {
    after = after === '' ? (extra[j] as [string, string])[1] : `${after}&${(extra[j] as [string, string])[1]}`;
  }
  const signedHeadersPair = `X-Amz-SignedHeaders=${signedHeaders === 'host' ? 'host' : encodeRepeated(signedHeaders)}`;
  after = after === '' ? signedHeadersPair : `${after}&${signedHeadersPair}`;
  for (; j < extra.length; j++) after = `${after}&${(extra[j] as [string, string])[1]}`;
  const canonicalQuery = `${before}&${after}`;

  const canonicalRequest = `${request.method}\n${request.path}\n${canonicalQuery}\n${canonicalHeaders}\n${signedHeaders}\n${request.payloadHash ?? UNSIGNED_PAYLOAD}`;
  const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
  const signingKey = keys.get(credentials.secretAccessKey, shortDate, request.region, request.service);
  const signature = signingKey.hmac.hex(stringToSign);
  // Algorithm sorts before the signature and SignedHeaders after: neither side is ever empty.
  return `${request.origin}${request.path}?${before}&X-Amz-Signature=${signature}&${after}`;
}

const ALGORITHM_PAIR = `X-Amz-Algorithm=${ALGORITHM}`;
/** SigV4's own parameters that sort before X-Amz-Signature, in order; the token only when there is one. */
const OWN_NAMES_BEFORE_SIGNATURE = [
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-Security-Token',
];
const SIGNING_PARAMETERS = new Set([...OWN_NAMES_BEFORE_SIGNATURE, 'X-Amz-Signature', 'X-Amz-SignedHeaders']);
const NO_PARAMETERS: ReadonlyArray<[string, string]> = [];
// A caller that passes the same deeply frozen array each time (the S3 engine's GET and PUT
// parameters) has it encoded and sorted once: nothing in it can have changed since.
const encodedFrozen = new WeakMap<object, ReadonlyArray<[string, string]>>();

/** The caller's parameters as sorted [encoded name, `name=value`] pairs. */
function encodeSorted(query: SigV4QueryRequest['query']): ReadonlyArray<[string, string]> {
  if (query === undefined || query.length === 0) return NO_PARAMETERS;
  if (Object.isFrozen(query) && query.every(Object.isFrozen)) {
    let encoded = encodedFrozen.get(query);
    if (encoded === undefined) {
      encoded = encodeAndSort(query);
      encodedFrozen.set(query, encoded);
    }
    return encoded;
  }
  return encodeAndSort(query);
}

function encodeAndSort(query: NonNullable<SigV4QueryRequest['query']>): ReadonlyArray<[string, string]> {
  const encoded: Array<[string, string]> = [];
  let sorted = true;
  for (const [name, value] of query) {
    const encodedName = uriEncode(name);
    // The SDK drops X-Amz-Signature from the canonical query in any case: signed, it would differ.
    if (SIGNING_PARAMETERS.has(encodedName) || encodedName.toLowerCase() === 'x-amz-signature') {
      throw new TypeError(`query parameter ${encodedName} is added by signing`);
    }
    const previous = encoded[encoded.length - 1];
    if (previous !== undefined && previous[0] >= encodedName) sorted = false;
    encoded.push([encodedName, `${encodedName}=${uriEncode(value)}`]);
  }
  // Callers mostly pass them in order already; one pass confirms it.
  if (!sorted) encoded.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < encoded.length; i++) {
    const name = (encoded[i] as [string, string])[0];
    if ((encoded[i - 1] as [string, string])[0] === name) throw new TypeError(`query parameter ${name} is given twice`);
  }
  return encoded;
}

let lastScope:
  | { accessKeyId: string; shortDate: string; region: string; service: string; scope: string; credentialParam: string }
  | undefined;

/** The credential scope and the encoded X-Amz-Credential pair: the same for a whole day. */
export function credentialScope(
  accessKeyId: string,
  shortDate: string,
  region: string,
  service: string,
): { scope: string; credentialParam: string } {
  const last = lastScope;
  if (
    last !== undefined &&
    last.accessKeyId === accessKeyId &&
    last.shortDate === shortDate &&
    last.region === region &&
    last.service === service
  ) {
    return last;
  }
  const scope = `${shortDate}/${region}/${service}/aws4_request`;
  lastScope = {
    accessKeyId,
    shortDate,
    region,
    service,
    scope,
    credentialParam: `X-Amz-Credential=${uriEncode(`${accessKeyId}/${scope}`)}`,
  };
  return lastScope;
}

const NEEDS_FOLDING = /[\r\n\t]| {2}|^ | $/;

/** The SDK's canonical header value: line breaks and tabs become spaces, runs fold, ends trim. */
function canonicalHeaderValue(value: string): string {
  if (!NEEDS_FOLDING.test(value)) return value;
  return value
    .replace(/[\r\n]/g, ' ')
    .replace(/[ \t]+/g, ' ')
    .replace(/^ | $/g, '');
}
