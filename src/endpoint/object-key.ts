// Object keys the service will sign. S3 itself accepts almost anything; these rules keep
// out what breaks URLs, logs or path-based tools downstream.

export const MAX_KEY_BYTES = 1024;
// C0 and C1 control characters, DEL, and the Unicode line/paragraph separators.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
/** A whole segment that is `.` or `..`. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** Returns why the key is refused, or undefined when it is acceptable. */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (!key.isWellFormed()) return 'must be valid UTF-8 (it contains a lone surrogate)';
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes of UTF-8 (got ${bytes})`;
  if (CONTROL_CHARACTER.test(key)) return 'must not contain control characters';
  if (key.startsWith('/')) return 'must not start with "/"';
  if (DOT_SEGMENT.test(key)) {
    return 'must not contain "." or ".." path segments';
  }
  return undefined;
}
