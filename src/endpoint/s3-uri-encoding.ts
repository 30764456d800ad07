// S3's URI encoding (SigV4 "UriEncode"): RFC 3986 unreserved characters stay, every other
// byte of the UTF-8 form becomes %XX. Object keys keep their `/` separators, encoded once.
// The validator's own copy: the signers encode with code it does not share.

const UNRESERVED = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~') {
  UNRESERVED[char.charCodeAt(0)] = 1;
}
const ESCAPES = Array.from({ length: 128 }, (_, code) => `%${code.toString(16).toUpperCase().padStart(2, '0')}`);
const SLASH = 0x2f;

/**
 * One pass, copying runs of unreserved characters as they are. A run of non-ASCII goes to
 * encodeURIComponent whole, which writes its UTF-8 (and throws on a lone surrogate).
 */
function encode(value: string, keepSlash: boolean): string {
  let out = '';
  let copied = 0;
  const length = value.length;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x80) {
      if (UNRESERVED[code] === 1 || (keepSlash && code === SLASH)) continue;
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

export function uriEncode(value: string): string {
  return encode(value, false);
}

export function encodeObjectKey(key: string): string {
  return encode(key, true);
}
