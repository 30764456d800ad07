// The fast engine: SigV4 query-string presigning written directly with node:crypto, byte for
// byte what the SDK's getSignedUrl produces (test/unit/signer-equivalence.test.ts holds it to
// that). The SDK spends 150-250 µs per URL in middleware, request cloning and promise chains
// around ~2 µs of hashing; here the endpoint is resolved once per bucket, the signing key
// once per day, and a URL costs one SHA-256, one HMAC and the string building around them.
import { createHash, createHmac, hash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@aws-sdk/types';
import type { PinnedS3 } from '../endpoint/s3-client.js';
import { LruCache } from '../lru-cache.js';
import type { SigningRequest, UrlSigner } from './url-signer.js';

const ALGORITHM = 'AWS4-HMAC-SHA256';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SigV4 refuses presigned URLs that live longer than seven days; so does the SDK. */
const MAX_EXPIRES_SECONDS = 604_800;

// ---------------------------------------------------------------------------------------
// SigV4 query-string signing (AWS "Authenticating Requests: Using Query Parameters").

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
    if (SIGNING_PARAMETERS.has(encodedName)) throw new TypeError(`query parameter ${encodedName} is added by signing`);
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
function credentialScope(
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

// SigV4's UriEncode, as the SDK applies it (escapeUri for query names and values,
// extendedEncodeURIComponent per segment for the key): RFC 3986 unreserved characters stay,
// every other byte of the UTF-8 form becomes %XX.
const UNRESERVED = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') {
  UNRESERVED[char.charCodeAt(0)] = 1;
}
const ESCAPES = Array.from({ length: 128 }, (_, code) => `%${code.toString(16).toUpperCase().padStart(2, '0')}`);

/**
 * One pass, copying runs of unreserved characters as they are; a run of non-ASCII goes to
 * encodeURIComponent whole, which writes its UTF-8 (and throws on a lone surrogate, as the
 * SDK does). With `keepSlash`, `/` stays: the key's segments are encoded, not its separators.
 */
function encode(value: string, keepSlash: boolean): string {
  let out = '';
  let copied = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) {
      if (UNRESERVED[code] === 1 || (keepSlash && code === 0x2f)) continue;
      out += value.slice(copied, i) + (ESCAPES[code] as string);
      copied = i + 1;
      continue;
    }
    let end = i + 1;
    while (end < length && value.charCodeAt(end) >= 0x80) end++;
    out += value.slice(copied, i) + encodeURIComponent(value.slice(i, end));
    copied = end;
    i = end - 1;
  }
  return copied === 0 ? value : out + value.slice(copied);
}

/** SigV4's UriEncode: every byte of the UTF-8 form but the RFC 3986 unreserved ones becomes %XX. */
export function uriEncode(value: string): string {
  return encode(value, false);
}

/** An object key as S3 puts it in the path: each segment encoded once, `/` kept. */
export function encodeKeyPath(key: string): string {
  return encode(key, true);
}

// The credential scope, the signed-header list and the session token are the same in URL
// after URL: encode each once. They change daily or on rotation, so starting over when the
// memo fills up costs nothing that matters.
const repeatedEncodings = new Map<string, string>();

function encodeRepeated(value: string): string {
  let encoded = repeatedEncodings.get(value);
  if (encoded === undefined) {
    encoded = uriEncode(value);
    if (repeatedEncodings.size >= 64) repeatedEncodings.clear();
    repeatedEncodings.set(value, encoded);
  }
  return encoded;
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

let datesSecond = Number.NaN;
let datesCache = { longDate: '', shortDate: '' };

/** `YYYYMMDDTHHMMSSZ` and `YYYYMMDD`, truncated to the second as the SDK does; reused within a second. */
function amzDates(date: Date): { longDate: string; shortDate: string } {
  const second = Math.floor(date.getTime() / 1000);
  if (second !== datesSecond) {
    const longDate = date
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z')
      .replace(/[-:]/g, '');
    datesCache = { longDate, shortDate: longDate.slice(0, 8) };
    datesSecond = second;
  }
  return datesCache;
}

/** Room for the string to sign in HmacSha256's buffer; it is ~150 bytes, longer ones take createHmac. */
const MAX_MESSAGE_BYTES = 1024;

/**
 * HMAC-SHA256 (RFC 2104) with the key's padded blocks prepared once: two one-shot SHA-256
 * calls per message. createHmac() sets up a native HMAC context on every call, which for a
 * message this short costs more than the hashing; this is half the time, same bytes.
 */
export class HmacSha256 {
  readonly #key: Buffer;
  /** K xor ipad, then the message. */
  readonly #inner = Buffer.alloc(64 + MAX_MESSAGE_BYTES);
  /** K xor opad, then the inner digest. */
  readonly #outer = Buffer.alloc(64 + 32);
  readonly #views: Buffer[] = [];

  constructor(key: Buffer) {
    // RFC 2104: a key longer than the block is hashed first; a shorter one is zero-padded.
    this.#key = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    for (let i = 0; i < 64; i++) {
      const byte = this.#key[i] ?? 0;
      this.#inner[i] = byte ^ 0x36;
      this.#outer[i] = byte ^ 0x5c;
    }
  }

  hex(message: string): string {
    // At most three UTF-8 bytes per UTF-16 unit: whatever passes this check fits.
    if (message.length * 3 > MAX_MESSAGE_BYTES) {
      return createHmac('sha256', this.#key).update(message).digest('hex');
    }
    const length = this.#inner.write(message, 64, 'utf8');
    let view = this.#views[length];
    if (view === undefined) {
      view = this.#inner.subarray(0, 64 + length);
      this.#views[length] = view;
    }
    // Hex, not a Buffer: hash()'s Buffer output costs four times its hex output.
    this.#outer.write(hash('sha256', view, 'hex'), 64, 'hex');
    return hash('sha256', this.#outer, 'hex');
  }
}

export interface SigningKey {
  /** kSigning itself. */
  key: Buffer;
  hmac: HmacSha256;
}

/** kSigning = HMAC chain over date, region, service and "aws4_request"; valid for a whole UTC day. */
export class SigningKeyCache {
  readonly #keys = new LruCache<string, SigningKey>(64);
  #last: { secret: string; shortDate: string; region: string; service: string; key: SigningKey } | undefined;

  get(secret: string, shortDate: string, region: string, service: string): SigningKey {
    const last = this.#last;
    if (
      last !== undefined &&
      last.secret === secret &&
      last.shortDate === shortDate &&
      last.region === region &&
      last.service === service
    ) {
      return last.key;
    }
    const id = `${shortDate}/${region}/${service}/${secret}`;
    let key = this.#keys.get(id);
    if (key === undefined) {
      let derived = createHmac('sha256', `AWS4${secret}`).update(shortDate).digest();
      derived = createHmac('sha256', derived).update(region).digest();
      derived = createHmac('sha256', derived).update(service).digest();
      derived = createHmac('sha256', derived).update('aws4_request').digest();
      key = { key: derived, hmac: new HmacSha256(derived) };
      this.#keys.set(id, key);
    }
    this.#last = { secret, shortDate, region, service, key };
    return key;
  }
}

const sharedSigningKeys = new SigningKeyCache();

// ---------------------------------------------------------------------------------------
// S3: the route from the SDK's endpoint rule set, the request as getSignedUrl shapes it.

/** Where a bucket's URLs go and what they are signed for. */
interface S3Route {
  origin: string;
  host: string;
  /** Before `/KEY`: '' when the endpoint path is `/`, else the endpoint path. */
  pathPrefix: string;
  signingRegion: string;
  signingService: string;
}

/** A bucket whose endpoint needs what this engine does not model (S3 Express, SigV4a, headers). */
const DELEGATE = Symbol('delegate');
type RouteEntry = S3Route | typeof DELEGATE;

type EndpointParams = Record<string, unknown>;
type EndpointInstruction =
  | { type: 'staticContextParams'; value: unknown }
  | { type: 'contextParams' | 'clientContextParams' | 'builtInParams'; name: string };

// What getSignedUrl adds: the payload marker it hoists from a header, and the operation hint
// from the model's `/{Key+}?x-id=…` path.
const PAYLOAD_PARAM = Object.freeze(['X-Amz-Content-Sha256', UNSIGNED_PAYLOAD] as const);
const GET_ID_PARAM = Object.freeze(['x-id', 'GetObject'] as const);
const GET_QUERY = Object.freeze([PAYLOAD_PARAM, GET_ID_PARAM]);
const PUT_ID_PARAM = Object.freeze(['x-id', 'PutObject'] as const);
const PUT_QUERY = Object.freeze([PAYLOAD_PARAM, PUT_ID_PARAM]);

export interface FastSignerOptions {
  /** Signs whatever this engine does not model; getSignedUrl over the same pinned clients. */
  fallback: UrlSigner;
  /** Buckets whose endpoints are remembered; the least recently used is forgotten first. */
  maxCachedBuckets?: number;
}

export class FastSigner implements UrlSigner {
  readonly engine = 'fast' as const;
  readonly #s3: PinnedS3;
  readonly #fallback: UrlSigner;
  readonly #routes: LruCache<string, RouteEntry>;
  readonly #clientParams = new WeakMap<S3Client, Promise<EndpointParams | undefined>>();
  readonly #keys = new SigningKeyCache();

  constructor(s3: PinnedS3, options: FastSignerOptions) {
    this.#s3 = s3;
    this.#fallback = options.fallback;
    this.#routes = new LruCache(options.maxCachedBuckets ?? 1000);
  }

  sign(request: SigningRequest): string | Promise<string> {
    const route = this.#routes.get(request.bucket);
    // Only a bucket's first URL waits: resolving its endpoint reads the client's async config.
    if (route === undefined)
      return this.#resolveRoute(request.bucket).then((resolved) => this.#signOn(resolved, request));
    return this.#signOn(route, request);
  }

  #signOn(route: RouteEntry, request: SigningRequest): string | Promise<string> {
    if (route === DELEGATE) return this.#fallback.sign(request);
    const get = request.operation === 'get';
    const query =
      get && request.responseContentDisposition !== undefined
        ? // In sorted order, which saves the core a sort.
          [PAYLOAD_PARAM, ['response-content-disposition', request.responseContentDisposition] as const, GET_ID_PARAM]
        : get
          ? GET_QUERY
          : PUT_QUERY;
    return presignSigV4Query(
      {
        method: get ? 'GET' : 'PUT',
        origin: route.origin,
        host: route.host,
        path: `${route.pathPrefix}/${encodeKeyPath(request.key)}`,
        query,
        headers: request.headers,
        credentials: request.credentials,
        region: route.signingRegion,
        service: route.signingService,
        signingDate: request.signingDate,
        expiresIn: request.expiresIn,
      },
      this.#keys,
    );
  }

  async #resolveRoute(bucket: string): Promise<RouteEntry> {
    const client = this.#s3.clientFor(bucket);
    let clientParams = this.#clientParams.get(client);
    if (!clientParams) {
      clientParams = modelledClientParams(client);
      this.#clientParams.set(client, clientParams);
    }
    const params = await clientParams;
    // A resolution error is thrown, not cached: the Presigner turns it into PRESIGN_FAILED,
    // as it does when getSignedUrl throws the same error.
    const route = params === undefined ? DELEGATE : routeFor(client, { ...params }, bucket);
    this.#routes.set(bucket, route);
    return route;
  }
}

/**
 * The client-wide endpoint parameters, resolved once, exactly as the SDK resolves them for
 * each request (smithy's resolveParams and createConfigValueProvider). Undefined when the
 * client is configured in a way that changes a presigned URL beyond the endpoint, which this
 * engine leaves to the SDK: flexible checksums other than WHEN_REQUIRED, or endpoint URLs read
 * from the environment or a profile.
 */
async function modelledClientParams(client: S3Client): Promise<EndpointParams | undefined> {
  const config = client.config as unknown as Record<string, unknown>;
  const value = async (name: string) => {
    const setting = config[name];
    return typeof setting === 'function' ? (setting as () => unknown)() : setting;
  };
  if ((await value('requestChecksumCalculation')) !== 'WHEN_REQUIRED') return undefined;
  if ((await value('responseChecksumValidation')) !== 'WHEN_REQUIRED') return undefined;
  if (!config.isCustomEndpoint && !config.ignoreConfiguredEndpointUrls) return undefined;

  const instructions = sameInstructions();
  const clientContext = (config.clientContextParams ?? {}) as Record<string, unknown>;
  const params: EndpointParams = {};
  for (const [param, instruction] of Object.entries(instructions)) {
    switch (instruction.type) {
      case 'staticContextParams':
        params[param] = instruction.value;
        break;
      case 'contextParams':
        // Bucket is per route; the rule set has no Key parameter (the SDK's own endpoint
        // cache leaves Key out of its cache key for the same reason).
        break;
      case 'clientContextParams':
      case 'builtInParams': {
        const { name } = instruction;
        if (name === 'endpoint') {
          params[param] = config.isCustomEndpoint === false ? undefined : endpointParam(await value('endpoint'));
          break;
        }
        let setting = instruction.type === 'clientContextParams' ? clientContext[name] : undefined;
        setting ??= config[name] ?? config[param];
        params[param] = typeof setting === 'function' ? await (setting as () => unknown)() : setting;
        break;
      }
    }
  }
  return params;
}

/** GetObject and PutObject share one set of endpoint instructions, hence one route per bucket. */
function sameInstructions(): Record<string, EndpointInstruction> {
  const get = GetObjectCommand.getEndpointParameterInstructions() as Record<string, EndpointInstruction>;
  const put = PutObjectCommand.getEndpointParameterInstructions() as Record<string, EndpointInstruction>;
  if (JSON.stringify(get) !== JSON.stringify(put)) {
    throw new Error('GetObject and PutObject resolve endpoints differently in this SDK version');
  }
  return get;
}

function endpointParam(endpoint: unknown): unknown {
  if (endpoint && typeof endpoint === 'object') {
    if ('url' in endpoint) return (endpoint as { url: URL }).url.href;
    if ('hostname' in endpoint) {
      const { protocol, hostname, port, path } = endpoint as {
        protocol: string;
        hostname: string;
        port?: number;
        path: string;
      };
      return `${protocol}//${hostname}${port ? `:${port}` : ''}${path}`;
    }
  }
  return endpoint;
}

const DNS_COMPATIBLE_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The SDK's S3 customisations of the parameters (smithy's resolveParamsForS3, and bucket-name validation). */
function routeFor(client: S3Client, params: EndpointParams, bucket: string): RouteEntry {
  const parts = bucket.split(':');
  const arnLike = parts[0] === 'arn' && parts.length >= 6;
  if (!arnLike && bucket.includes('/')) throw new Error(`Bucket name shouldn't contain '/', received '${bucket}'`);
  if (arnLike && !(parts[1] && parts[2] && parts[5])) throw new Error(`Invalid ARN: ${bucket} was an invalid ARN.`);
  params.Bucket = bucket.replace(/#/g, '%23').replace(/\?/g, '%3F');
  if (arnLike) {
    if (params.ForcePathStyle === true) throw new Error('Path-style addressing cannot be used with ARN buckets');
  } else if (
    !DNS_COMPATIBLE_BUCKET.test(bucket) ||
    /(\d+\.){3}\d+/.test(bucket) ||
    bucket.includes('..') ||
    (bucket.includes('.') && !String(params.Endpoint).startsWith('http:')) ||
    bucket.toLowerCase() !== bucket ||
    bucket.length < 3
  ) {
    params.ForcePathStyle = true;
  }
  if (params.DisableMultiRegionAccessPoints) {
    params.disableMultiRegionAccessPoints = true;
    params.DisableMRAP = true;
  }

  const resolve = client.config.endpointProvider;
  const endpoint = resolve(params as Parameters<typeof resolve>[0], { logger: client.config.logger });
  const url = endpoint.url;
  const scheme = endpoint.properties?.authSchemes?.[0] as
    { name?: string; signingName?: string; signingRegion?: string } | undefined;
  const plain =
    scheme?.name === 'sigv4' &&
    typeof scheme.signingName === 'string' &&
    typeof scheme.signingRegion === 'string' &&
    Object.keys(endpoint.headers ?? {}).length === 0 &&
    url.search === '' &&
    url.hash === '' &&
    url.username === '' &&
    url.password === '';
  if (!plain) return DELEGATE;
  // getSignedUrl's request carries the port whenever the endpoint URL names one; the URL
  // shows it only when non-zero, the Host header whenever it is set.
  const port = url.port === '' ? undefined : Number(url.port);
  return {
    origin: `${url.protocol}//${url.hostname}${port ? `:${port}` : ''}`,
    host: `${url.hostname}${port !== undefined ? `:${port}` : ''}`,
    pathPrefix: url.pathname === '/' ? '' : url.pathname,
    signingRegion: scheme.signingRegion as string,
    signingService: scheme.signingName as string,
  };
}
