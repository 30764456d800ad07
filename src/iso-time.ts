// A time as Date.prototype.toISOString writes it, for the times written on every request: an
// audit event's time and its grant's expiry, and the expiry in /presign's and /uploads'
// answers. toISOString is a call into the engine's C++ that cost about 0.6 µs on Node 20, two
// per audit event: almost half of writing the event (issue 22, docs/performance.md).

/**
 * A toISOString of epoch milliseconds that keeps the text of the last second it wrote and
 * appends the milliseconds: the same text, byte for byte, for any time (test/unit/iso-time.test.ts).
 * Each use keeps its own: an event's time and its expiry are hundreds of seconds apart, and one
 * memo for both would write each second again every time.
 */
export function isoTimeMemo(): (epochMs: number) => string {
  let second = Number.NaN;
  // Up to and including the `.` of `.mmmZ`, which ends every text toISOString writes. Written
  // at the first call: no second equals NaN.
  let secondText: string;
  return (epochMs) => {
    const millisecond = epochMs - Math.floor(epochMs / 1000) * 1000;
    const start = epochMs - millisecond;
    // A time that is not one (NaN, or beyond ±8.64e15 ms) reaches toISOString, which refuses it.
    if (start !== second) {
      secondText = new Date(epochMs).toISOString().slice(0, -4);
      second = start;
    }
    return `${secondText}${millisecond < 10 ? '00' : millisecond < 100 ? '0' : ''}${millisecond}Z`;
  };
}
