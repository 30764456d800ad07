// Object keys the service will sign. S3 itself accepts almost anything; these rules keep
// out what breaks URLs, logs or path-based tools downstream.
import { hasHeaderForbiddenCharacter } from '../control-characters.js';

export const MAX_KEY_BYTES = 1024;
/** A whole segment that is `.` or `..`. */
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/** Returns why the key is refused, or undefined when it is acceptable. */
export function objectKeyProblem(key: string): string | undefined {
  if (key.length === 0) return 'must not be empty';
  if (!key.isWellFormed()) return 'must be valid UTF-8 (it contains a lone surrogate)';
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) return `must be at most ${MAX_KEY_BYTES} bytes of UTF-8 (got ${bytes})`;
  if (hasHeaderForbiddenCharacter(key)) return 'must not contain control characters';
  if (key.startsWith('/')) return 'must not start with "/"';
  if (DOT_SEGMENT.test(key)) {
    return 'must not contain "." or ".." path segments';
  }
  return undefined;
}
