// What must never reach a log line: signatures, credentials, session tokens, API keys, JWTs.
// Two layers. The request serializer logs a request's path and the NAMES of its query
// parameters, never a value: no route takes a secret in its query, so nothing is lost. And
// every line, whoever wrote it (our handlers, Fastify, a library's error), passes
// redactSecrets() on its way to the stream, which finds secrets by their shape, whatever
// their name, and however many times they were percent-encoded.
import type { FastifyRequest } from 'fastify';
import { stdSerializers } from 'pino';
import { LruCache } from '../lru-cache.js';

const REDACTED = 'REDACTED';

/**
 * A secret by its shape. Every alternative is linear on any input (a log line can hold what
 * an attacker sent): a literal start, or a run anchored to the start of a run.
 */
export const SECRET = new RegExp(
  [
    // A value under a secret-bearing name: X-Amz-Signature, X-Amz-Credential,
    // X-Amz-Security-Token, AWSAccessKeyId, id_token, access_token, api_key, password, …
    // The name is kept, the value goes: `(?<name>…)=value`, `"name":"value"`, `name: value`,
    // and an HTTP authorization scheme stays with the name: `authorization: Basic REDACTED`.
    // Inside a logged string the quotes are JSON's `\"`: they end the value as `"` does, and
    // any other backslash pair (`\\`, `\n`) is part of it, so the line stays JSON.
    String.raw`(?<name>(?:signature|credential|token|secret|passw(?:or)?d|api[_-]?key|access[_-]?key|session|authorization)[\w-]{0,32}(?:\\?["'])?[\s+]{0,4}[=:](?:[\s+"]|\\"){0,4}(?:(?:basic|bearer)[\s+]{1,4})?)(?:[^&;#"\s,}\\]|\\[^"])+`,
    // This service's API keys, and JWTs (a JSON header in base64url: `{"` is `eyJ`).
    String.raw`s3p_[\w-]*`,
    String.raw`eyJ[\w-]*(?:\.[\w-]*){0,2}`,
    // AWS access key IDs: long-term (AKIA) and temporary (ASIA); and a whole credential
    // (`ID/DATE/REGION/SERVICE/aws4_request`), whose ID an S3-compatible store may shape freely.
    String.raw`A[SK]IA[A-Z0-9]{16}`,
    String.raw`(?<![^\s"'&;,=/])[^\s"'&;,=/]*(?:/[^\s"'&;,=/]*){3}/aws4_request`,
    // A SigV4 signature (64 hex), or any longer hash. The runs below start only where a run
    // starts: tried at every character of a shorter run, they would cost its length squared.
    String.raw`(?<![0-9a-f])[0-9a-f]{64,}`,
    // Session tokens and other long base64: hundreds of characters with no separator.
    String.raw`(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/=_-]{100,}`,
  ].join('|'),
  'gi',
);

/** The same shapes, for a yes/no answer (a global RegExp would carry lastIndex between calls). */
const HAS_SECRET = new RegExp(SECRET.source, 'i');
/**
 * A run of URL-ish text that holds a percent-escape. It starts only where a run starts (linear
 * time), and stops at `"` and `\`, so a JSON string's escapes stay whole.
 */
const ENCODED_RUN = /(?<![^\s"\\&;?#,])[^\s"\\&;?#,]*%(?:[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})[^\s"\\&;?#,]*/g;
/**
 * Layers of encoding undone when looking for secrets: `%25` by `%25`, one per pass. A line
 * encoded deeper than this is not read further (each pass costs its length): its encoded runs
 * are dropped as if they held a secret.
 */
const MAX_DECODING_PASSES = 6;

function redactShapes(text: string): string {
  // A replacement string, not a function: a call per match costs more than the whole scan.
  return text.replace(SECRET, `$<name>${REDACTED}`);
}

/**
 * Replaces every secret-shaped part of `text` with REDACTED; text without secrets comes back
 * as it came. Percent-encoded text (once or many times, `%u` escapes too) is decoded to look
 * for secrets, and when one is there, every encoded run of the line is dropped whole: the
 * decoded form is never written, so a line stays the JSON pino made.
 */
export function redactSecrets(text: string): string {
  if (!mayHoldSecret(text)) return text;
  const redacted = redactShapes(text);
  const decoded = decodeLayers(redacted);
  if (decoded === redacted) return redacted;
  return decoded === null || HAS_SECRET.test(decoded) ? redacted.replace(ENCODED_RUN, REDACTED) : redacted;
}

/** `text` with every layer of percent-escapes undone, or null when it has more than MAX_DECODING_PASSES. */
function decodeLayers(text: string): string | null {
  let decoded = text;
  for (let pass = 0; pass <= MAX_DECODING_PASSES; pass++) {
    // unescape: native, and never throws on a malformed escape (decodeURIComponent does).
    const next = unescape(decoded);
    if (next === decoded) return decoded;
    decoded = next;
  }
  return null;
}

/**
 * The literal starts of SECRET's shapes, in any letter case as SECRET reads them: a host name
 * is often lowercased on its way, and an access key ID (capitals and digits) survives that whole.
 */
const LITERAL_START = /s3p_|eyj|a[sk]ia|aws4_request/i;

/**
 * A first look that lets most lines through untouched (the request line of every ordinary
 * request): what each shape above needs, found with `includes`, one literal search and one
 * skipping scan. The full pattern costs about 12 µs on a 260-character line, this well under
 * 1 µs (bench/log-line.mjs). A value under a secret name needs a `=` or a `:` to be seen:
 * `name=value`, `"name":"value"`.
 */
export function mayHoldSecret(line: string): boolean {
  return (
    line.includes('=') ||
    line.includes(':') ||
    line.includes('%') ||
    LITERAL_START.test(line) ||
    hasRun(line, BASE64, SHORTEST_RUN)
  );
}

/** The shortest run the shapes redact: a 64-hex signature. */
const SHORTEST_RUN = 64;
const BASE64 = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-')
  BASE64[char.charCodeAt(0)] = 1;

/**
 * Whether `text` holds `length` consecutive characters of `set`. Checks the last character of
 * each window backwards; on a miss no run can include it, so the window jumps past it: a JSON
 * line is read a few characters per window.
 */
function hasRun(text: string, set: Uint8Array, length: number): boolean {
  let end = length - 1;
  probing: while (end < text.length) {
    for (let index = end; index > end - length; index--) {
      // Past the table (code 128 and up) reads undefined: a miss, like any other character.
      if (set[text.charCodeAt(index)] !== 1) {
        end = index + length;
        continue probing;
      }
    }
    return true;
  }
  return false;
}

const MAX_LOGGED_PATH = 512;
const MAX_LOGGED_NAMES = 20;
const MAX_LOGGED_HOST = 256;
const PLAIN_NAME = /^[\w.[\]-]{1,64}$/;

/**
 * What a request line logs of a URL: the path (cut at `?`, `#` or `;`), then the names of the
 * parameters, never their values: `/livez?X-Amz-Signature=…&a=1` → `/livez?X-Amz-Signature&a`.
 * A name that is not plain (encoded, long, itself a URL) is logged as REDACTED.
 */
export function loggableUrl(url: string): string {
  const end = url.search(/[?#;]/);
  if (end === -1) return loggablePath(withoutTokenMacs(url));
  const path = loggablePath(withoutTokenMacs(url.slice(0, end)));
  const names = url
    .slice(end + 1)
    .split(/[?#;&]/)
    .map((parameter) => parameter.split('=', 1)[0] as string)
    .filter((name) => name !== '');
  const shown = names.slice(0, MAX_LOGGED_NAMES).map((name) => (PLAIN_NAME.test(name) ? name : REDACTED));
  if (names.length > MAX_LOGGED_NAMES) shown.push(`…${names.length - MAX_LOGGED_NAMES} more`);
  return shown.length === 0 ? path : `${path}?${shown.join('&')}`;
}

/** An upload ID or create grant as a path segment (`u1.<payload>.<HMAC>`, src/multipart/upload-token.ts). */
const UPLOAD_TOKEN_SEGMENT = /^([ug]1\.[\w-]*\.)|^[ug]1(?:\.|%2e)/i;

/**
 * A path with the HMAC of every upload ID or create grant in it replaced (Companion's routes
 * carry the upload ID in the path): with the caller's credentials it opens the upload. The
 * payload before it (S3's upload ID, the sizes) stays, unless the dots are escaped.
 */
function withoutTokenMacs(path: string): string {
  if (!path.includes('1.') && !/1%2e/i.test(path)) return path;
  return path
    .split('/')
    .map((segment) => {
      const token = UPLOAD_TOKEN_SEGMENT.exec(segment);
      if (token === null) return segment;
      return `${token[1] ?? `${segment.slice(0, 2)}.`}${REDACTED}`;
    })
    .join('/');
}

/**
 * A path as logged. Cut anywhere, an over-long one could leave a piece of a secret too short to
 * be recognised as one, so it keeps only its first segment, when that is plain.
 */
function loggablePath(path: string): string {
  if (path.length <= MAX_LOGGED_PATH) return path;
  return `${/^\/[\w.~-]{1,64}(?=\/)/.exec(path)?.[0] ?? ''}/…`;
}

/** Host and client address as logged: a real one is short; a longer one is not cut, but dropped. */
function loggableHost(host: string): string {
  return host.length <= MAX_LOGGED_HOST ? redactAddress(host) : REDACTED;
}

/**
 * Hosts and client addresses already found to hold no secret. A service sees the same few
 * again and again, and the `:` of `host:port` or of an IPv6 address sends every one of them
 * through the full pattern (about 0.7 µs each, twice per request). Only clean values are kept,
 * so no secret stays in memory, and at most 256: a client that sends a new host every time
 * only misses.
 */
const cleanAddresses = new LruCache<string, true>(256);

/** redactSecrets for a host or a client address (at most MAX_LOGGED_HOST characters). */
export function redactAddress(address: string): string {
  if (cleanAddresses.get(address) === true) return address;
  const redacted = redactSecrets(address);
  if (redacted === address) cleanAddresses.set(address, true);
  return redacted;
}

/**
 * Paths pino redacts in any logged object that carries raw headers. A logged request needs
 * none: its serializer below is an allowlist that never copies a header, and redacting
 * `req.headers.*` behind it cost every request line more than the rest of its `req` (measured).
 */
export const REDACTED_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'headers["x-amz-security-token"]',
];

export const requestSerializers = {
  /** What of a request reaches a log line: these four fields and nothing else. */
  req(request: FastifyRequest) {
    return {
      method: request.method,
      // Host and X-Forwarded-For are the client's words, like the URL.
      url: redactSecrets(loggableUrl(request.url)),
      host: loggableHost(request.host),
      remoteAddress: loggableHost(request.ip),
    };
  },
  /** pino's, without `rawPacket`: Node's parser errors carry the raw request bytes, credentials included. */
  err(error: Error) {
    const { rawPacket, ...serialized } = stdSerializers.err(error);
    void rawPacket;
    return serialized;
  },
};

/** The message of the one line per request (app.ts); pino writes `msg` last. */
export const REQUEST_LINE_MESSAGE = 'request completed';
const REQUEST_LINE_END = `"msg":"${REQUEST_LINE_MESSAGE}"}\n`;

/**
 * pino's last step before the stream: every line, from any logger call, is checked. Except the
 * request line, whose only fields from outside (url, host, remoteAddress) the serializer above
 * has already passed through redactSecrets: checking its ~260 characters again cost every
 * request about 3 µs (bench/log-line.mjs). No other line can end like it: pino escapes quotes
 * inside strings, and puts `msg` last.
 */
export const logLineHooks = {
  streamWrite: (line: string): string => (line.endsWith(REQUEST_LINE_END) ? line : redactSecrets(line)),
};
