import type { HealthReport } from './endpoint-checks.js';

/**
 * Health endpoints get polled by load balancers, orchestrators and humans at once; each report
 * costs up to three S3 requests and a TLS handshake. Concurrent callers share the run in flight,
 * and a finished report is served for `ttlMs` after it completed.
 */
export class CachedHealth<R = HealthReport> {
  readonly #run: () => Promise<R>;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #inFlight: Promise<R> | undefined;
  #cached: { report: R; at: number } | undefined;

  constructor(run: () => Promise<R>, ttlMs: number, now: () => number = () => performance.now()) {
    this.#run = run;
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  /** Settles when no run is in flight (at once when none is). Never rejects. */
  async idle(): Promise<void> {
    await this.#inFlight?.catch(() => undefined);
  }

  get(): Promise<R> {
    if (this.#cached && this.#now() - this.#cached.at < this.#ttlMs) return Promise.resolve(this.#cached.report);
    if (this.#inFlight) return this.#inFlight;

    // A rejected run is shared with its concurrent callers but never cached, so the next call
    // tries again instead of serving the failure for a whole ttl.
    const run = (async () => this.#run())().then((report) => {
      this.#cached = { report, at: this.#now() };
      return report;
    });
    this.#inFlight = run;
    const clear = () => {
      if (this.#inFlight === run) this.#inFlight = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
