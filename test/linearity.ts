// Linearity by counting, never by timing: a parser adds the characters it visits to a
// WorkCounter (src/work-counter.ts), and these helpers hold the count to a straight line over
// inputs of doubling size. A quadratic parser's work per character doubles with each doubling.
import assert from 'node:assert/strict';
import type { WorkCounter } from '../src/work-counter.js';

export interface LinearityOptions {
  /** The sizes n the shape is built at; each the double of the one before. */
  sizes?: readonly number[];
  /** The most work a character may cost: work(n) ≤ perCharacter × length(n). */
  perCharacter?: number;
}

/**
 * For each adversarial shape (a name and a builder of an input of size n), runs `parse` with a
 * fresh counter at every size and asserts work(n) ≤ perCharacter·length(n) and, at each
 * doubling, work per character grows by at most 10% (work(2n) ≤ 2.2·work(n) for inputs twice
 * as long). `parse` may throw: refusing costs work too, and is counted the same way.
 */
export function assertLinearWork(
  shapes: Record<string, (n: number) => string>,
  parse: (input: string, work: WorkCounter) => unknown,
  { sizes = [2_000, 4_000, 8_000, 16_000], perCharacter = 8 }: LinearityOptions = {},
): void {
  for (const [shape, build] of Object.entries(shapes)) {
    let previous: { length: number; steps: number } | undefined;
    for (const n of sizes) {
      const input = build(n);
      const work: WorkCounter = { steps: 0 };
      try {
        parse(input, work);
      } catch {
        // Refused: the work done to refuse is what counts.
      }
      // A counter the parser never added to (or took from) would pass every bound below.
      assert.ok(
        work.steps > 0,
        `${shape}: ${work.steps} steps for ${input.length} characters: the parser counted no work`,
      );
      assert.ok(
        work.steps <= perCharacter * input.length,
        `${shape}: ${work.steps} steps for ${input.length} characters, above ${perCharacter} per character`,
      );
      if (previous !== undefined) {
        const growth = work.steps / previous.steps / (input.length / previous.length);
        assert.ok(
          growth <= 1.1,
          `${shape}: work per character grew ${growth.toFixed(2)}× from ${previous.length} to ${input.length} characters (${previous.steps} → ${work.steps} steps): not linear`,
        );
      }
      previous = { length: input.length, steps: work.steps };
    }
  }
}
