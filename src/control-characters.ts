// Characters that must never reach a header, a URL, a terminal or a report unescaped.
// One definition, so the rule for object keys, Content-Disposition and media types is one
// rule, and what the CLI and the validator escape is what the request schemas refuse.

/**
 * C0 controls, DEL, C1 controls (NEL, U+0085, among them) and the Unicode line and
 * paragraph separators: each ends or splits a line somewhere (an HTTP/1 parser, a log
 * viewer, a JavaScript string), so none belongs in text bound for a header.
 */
const HEADER_FORBIDDEN_RANGES = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029';

/** Bidirectional embeddings, overrides and isolates: they reorder what a terminal shows. */
const BIDI_CONTROL_RANGES = '\\u202a-\\u202e\\u2066-\\u2069';

/** One character forbidden in header-bound text (object keys, Content-Disposition, media types). */
export const HEADER_FORBIDDEN_CHARACTER = new RegExp(`[${HEADER_FORBIDDEN_RANGES}]`, 'u');

/** The same set as a character-class body, for schemas that build a larger pattern. */
export const HEADER_FORBIDDEN_CLASS = HEADER_FORBIDDEN_RANGES;

export function hasHeaderForbiddenCharacter(text: string): boolean {
  return HEADER_FORBIDDEN_CHARACTER.test(text);
}

const DISPLAY_UNSAFE = new RegExp(`[${HEADER_FORBIDDEN_RANGES}${BIDI_CONTROL_RANGES}]`, 'gu');
// JSON.stringify already escapes C0 inside strings; a raw line feed in its output is layout.
const DISPLAY_UNSAFE_BEYOND_C0 = new RegExp(`[\\u007f-\\u009f\\u2028\\u2029${BIDI_CONTROL_RANGES}]`, 'gu');

const escapeCharacter = (character: string) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text from outside made safe to show: every control, separator and bidi character becomes
 * its visible `\uXXXX` escape, so a crafted value can neither move the cursor, retitle a
 * window, clear a screen nor reorder a line.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(DISPLAY_UNSAFE, escapeCharacter);
}

/** JSON for a terminal: still valid JSON for the same value, with nothing a terminal acts on. */
export function jsonForDisplay(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(DISPLAY_UNSAFE_BEYOND_C0, escapeCharacter);
}
