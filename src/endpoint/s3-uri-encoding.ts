// S3's URI encoding (SigV4 "UriEncode"): RFC 3986 unreserved characters stay, every other
// byte of the UTF-8 form becomes %XX. Object keys keep their `/` separators, encoded once.
//
// The validator's own encoder, written another way than the signers' (src/presign/sigv4-encoding.ts,
// a table-driven loop) so that one bug cannot sit in both: here the built-in encoders do the
// work, and only the characters they leave that UriEncode does not are escaped after them
// (bench/uri-encoding.mjs: about the loop's cost on plain keys, 1.6 times it when keys hold
// `!'()*`). A test holds the two encoders to the same output over arbitrary strings.

/** What encodeURIComponent leaves that UriEncode escapes. */
const KEPT_BY_ENCODE_URI_COMPONENT = /[!'()*]/g;
/** What encodeURI leaves that UriEncode escapes: all it keeps but the unreserved and `/`. */
const KEPT_BY_ENCODE_URI = /[!#$&'()*+,:;=?@]/g;

const escapeCharacter = (character: string) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`;

// Most names and keys hold none of them: a search costs less than a replace that finds nothing.
function escapeKept(encoded: string, kept: RegExp): string {
  return encoded.search(kept) === -1 ? encoded : encoded.replace(kept, escapeCharacter);
}

/** SigV4's UriEncode. Throws URIError on a lone surrogate, as encodeURIComponent does. */
export function uriEncode(value: string): string {
  return escapeKept(encodeURIComponent(value), KEPT_BY_ENCODE_URI_COMPONENT);
}

/** An object key as S3 puts it in the path: each segment encoded once, `/` kept. */
export function encodeObjectKey(key: string): string {
  return escapeKept(encodeURI(key), KEPT_BY_ENCODE_URI);
}
