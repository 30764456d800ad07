// SigV4's UriEncode, as the SDK applies it (escapeUri for query names and values,
// extendedEncodeURIComponent per segment for the key): RFC 3986 unreserved characters stay,
// every other byte of the UTF-8 form becomes %XX.
import { LruCache } from '../lru-cache.js';

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
// after URL: encode each once. They change daily or on rotation, so a few entries suffice.
const repeatedEncodings = new LruCache<string, string>(64);

export function encodeRepeated(value: string): string {
  let encoded = repeatedEncodings.get(value);
  if (encoded === undefined) {
    encoded = uriEncode(value);
    repeatedEncodings.set(value, encoded);
  }
  return encoded;
}
