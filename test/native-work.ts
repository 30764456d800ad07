// Characters visited by the built-ins a parser calls: while `run` runs, String and RegExp
// methods, the URI decoders and encoders, JSON and Buffer's byte counting are wrapped to add,
// per call, the characters they may read (a scan from its start to where it stops, the whole
// receiver for a search, split or replace, the length of what a slice copies). A parser that
// rescans its input per item (a slice of the rest per part, a search from the start per field)
// shows up as quadratic work; one that reads each character a bounded number of times does
// not. The parser's own code is untouched, so the hot path pays nothing. A regular
// expression's internal backtracking is not counted here: eslint-plugin-regexp's
// no-super-linear-backtracking rule checks those (eslint.config.js).
import type { WorkCounter } from '../src/work-counter.js';

type Method = (this: unknown, ...args: never[]) => unknown;

const stringLength = (value: unknown) => (typeof value === 'string' ? value.length : 0);

/** For each wrapped built-in, the characters one call may read. */
const STRING_COSTS: Record<string, (receiver: string, args: unknown[], result: unknown) => number> = {
  indexOf: (receiver, [search, from], result) =>
    ((result as number) === -1 ? receiver.length : (result as number)) -
    Math.max(0, Number(from) || 0) +
    stringLength(search),
  lastIndexOf: (receiver) => receiver.length,
  includes: (receiver) => receiver.length,
  startsWith: (_receiver, [search]) => stringLength(search),
  endsWith: (_receiver, [search]) => stringLength(search),
  slice: (_receiver, _args, result) => stringLength(result),
  substring: (_receiver, _args, result) => stringLength(result),
  split: (receiver) => receiver.length,
  replace: (receiver) => receiver.length,
  replaceAll: (receiver) => receiver.length,
  search: (receiver) => receiver.length,
  match: (receiver) => receiver.length,
  toLowerCase: (receiver) => receiver.length,
  toUpperCase: (receiver) => receiver.length,
  trim: (receiver) => receiver.length,
  normalize: (receiver) => receiver.length,
  isWellFormed: (receiver) => receiver.length,
  padStart: (_receiver, _args, result) => stringLength(result),
  charCodeAt: () => 1,
  codePointAt: () => 1,
  at: () => 1,
};

const GLOBAL_COSTS = [
  'decodeURIComponent',
  'decodeURI',
  'encodeURIComponent',
  'encodeURI',
  'unescape',
  'escape',
] as const;

/** Runs `run` and adds the characters the built-ins it called may have read to `work`. */
export function countNativeWork<T>(work: WorkCounter, run: () => T): T {
  const restore: Array<() => void> = [];
  const wrap = (owner: object, name: string, cost: (receiver: never, args: unknown[], result: unknown) => number) => {
    const original = (owner as Record<string, Method>)[name] as Method;
    (owner as Record<string, unknown>)[name] = function (this: unknown, ...args: never[]) {
      const result = original.apply(this, args);
      work.steps += 1 + cost(this as never, args, result);
      return result;
    };
    restore.push(() => {
      (owner as Record<string, unknown>)[name] = original;
    });
  };
  for (const [name, cost] of Object.entries(STRING_COSTS)) wrap(String.prototype, name, cost);
  // A search reads from where it starts (lastIndex, for a global or sticky one) to where its
  // match ends, or to the end: a global replace's successive searches add up to one pass.
  for (const name of ['exec', 'test'] as const) {
    const original = RegExp.prototype[name] as (this: RegExp, input: string) => RegExpExecArray | boolean | null;
    RegExp.prototype[name] = function (this: RegExp, input: string) {
      const text = String(input);
      const from = this.global || this.sticky ? Math.min(this.lastIndex, text.length) : 0;
      const result = original.call(this, text);
      // A sticky search tries at lastIndex only (split's own searches are sticky, one per
      // position): a miss there costs the attempt, not the rest of the text.
      const end =
        result === null || result === false
          ? this.sticky
            ? from
            : text.length
          : result === true
            ? this.global || this.sticky
              ? this.lastIndex
              : text.length
            : result.index + result[0].length;
      work.steps += 1 + Math.max(0, end - from);
      return result;
    } as never;
    restore.push(() => {
      RegExp.prototype[name] = original as never;
    });
  }
  for (const name of GLOBAL_COSTS) wrap(globalThis, name, (_receiver, [input]) => stringLength(input));
  wrap(JSON, 'parse', (_receiver, [input]) => stringLength(input));
  wrap(Buffer, 'byteLength', (_receiver, [input]) => stringLength(input));
  wrap(Buffer, 'from', (_receiver, [input]) => stringLength(input));
  try {
    return run();
  } finally {
    for (const undo of restore.reverse()) undo();
  }
}
