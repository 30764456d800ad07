// The two sides a limit counts, and their bounds: in a module of its own, so the metrics that
// label by side import no module that imports them back.

/**
 * Live windows each side of this process holds at most. A window costs under 200 bytes
 * (bench/rate-limit-memory.mjs), so the callers' side stays near 17 MB and the anonymous side
 * near 2 MB, well inside the pod's 256 MiB.
 */
export const WINDOW_CAPACITY = { callers: 100_000, anonymous: 10_000 } as const;

/** Whose windows a limit counts: callers' budgets, or anonymous clients' by address. */
export type LimitSide = keyof typeof WINDOW_CAPACITY;
export const LIMIT_SIDES = Object.keys(WINDOW_CAPACITY) as LimitSide[];
