// S3's URI encoding (SigV4 "UriEncode"): RFC 3986 unreserved characters stay, every other
// byte of the UTF-8 form becomes %XX. Object keys keep their `/` separators, encoded once.

const RFC3986_EXTRA = /[!'()*]/g;

export function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(RFC3986_EXTRA, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function encodeObjectKey(key: string): string {
  return key.split('/').map(uriEncode).join('/');
}
