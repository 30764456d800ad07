// How the tests prove a parser linear without a clock: the parser adds the characters it
// visits (or the steps it takes) to a counter the test hands it, and the test compares the
// count for inputs of size n and 2n. A parser called without one pays a single comparison
// with undefined per scan, not per character.

/** Characters visited (or steps taken) by the parsers it was handed to. */
export interface WorkCounter {
  steps: number;
}
