// Browser-supplied file names: made safe as the last segment of an object key, and turned
// into a Content-Disposition header that no name can inject into (RFC 6266 / RFC 8187).
import { uriEncode } from '../endpoint/s3-uri-encoding.js';

const MAX_FILENAME_BYTES = 200;
// Control and format characters, which include the bidirectional overrides that make
// `invoice‮fdp.exe` display as `invoiceexe.pdf`.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;
const UNSAFE = /[^\p{L}\p{M}\p{N} ._()+,=@-]/gu;

/**
 * A name the steps below would return unchanged: printable ASCII they keep, single spaces
 * between words, no leading dot, short enough. Most names are; the Unicode-aware passes cost
 * a few µs on every upload (bench/profile.mjs).
 */
const ALREADY_SAFE = /^(?!\.)[\w.()+,=@-]+(?: [\w.()+,=@-]+)*$/;

/** A name safe as one key segment: no path, no control characters, never `.` or `..`. */
export function sanitizeFilename(name: string): string {
  return name.length <= MAX_FILENAME_BYTES && ALREADY_SAFE.test(name) ? name : sanitizeInFull(name);
}

/** sanitizeFilename without its shortcut (exported for the test that holds the two equal). */
export function sanitizeInFull(name: string): string {
  const base = name.normalize('NFC').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/\s+/g, ' ').replace(INVISIBLE, '').replace(UNSAFE, '_').trim().replace(/^\.+/, '');
  return truncateUtf8(cleaned, MAX_FILENAME_BYTES) || 'file';
}

/** Keeps the extension when a long name must be cut, and never splits a character. */
function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = '';
  for (const character of name.slice(0, name.length - extension.length)) {
    if (Buffer.byteLength(stem + character + extension) > maxBytes) break;
    stem += character;
  }
  return stem + extension;
}

/** `attachment; filename="ascii fallback"; filename*=UTF-8''percent-encoded`. */
export function attachmentDisposition(filename: string): string {
  const safe = sanitizeFilename(filename);
  const fallback = safe.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `attachment; filename="${fallback}"; filename*=UTF-8''${uriEncode(safe)}`;
}
