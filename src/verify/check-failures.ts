// One failure per check code, counted, with a bounded and escaped message: shared by the URL
// and POST policy validators, so a report never echoes more than it should.
import { escapeControlCharacters } from '../control-characters.js';
import type { UrlCheckCode } from '../errors.js';

export interface UrlCheckFailure {
  code: UrlCheckCode;
  /** The first failure of this check, escaped and at most MAX_FAILURE_MESSAGE_LENGTH characters. */
  message: string;
  /** How many times the check failed: a report holds one failure per code. */
  count: number;
}

/**
 * Bounds what a report can echo: a message quotes parts of the URL, and a URL can repeat a
 * mistake thousands of times (8 KB of `&` once made a 740 KB report).
 */
export const MAX_FAILURE_MESSAGE_LENGTH = 200;

/** The message as reported: control characters visible, and short whatever the URL held. */
export function boundedMessage(message: string): string {
  const escaped = escapeControlCharacters(message);
  if (escaped.length <= MAX_FAILURE_MESSAGE_LENGTH) return escaped;
  let end = MAX_FAILURE_MESSAGE_LENGTH - 1;
  // Never end on half of a surrogate pair.
  const last = escaped.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${escaped.slice(0, end)}…`;
}

/** Records a failed check: the first message per code, and how often it failed. */
export type Fail = (code: UrlCheckCode, message: string) => void;

/** A failure list and the one function that adds to it. */
export function failureCollector(): { failures: UrlCheckFailure[]; fail: Fail } {
  const failures: UrlCheckFailure[] = [];
  const fail: Fail = (code, message) => {
    for (const failure of failures) {
      if (failure.code === code) {
        failure.count++;
        return;
      }
    }
    failures.push({ code, message: boundedMessage(message), count: 1 });
  };
  return { failures, fail };
}
