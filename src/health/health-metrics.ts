// The health report as metrics: what /healthz last found, exported on every scrape without
// running anything. A scrape only asks the cache, which starts a new round of checks when its
// report is older than HEALTH_CACHE_TTL_MS and never makes the scrape wait for it: however many
// Prometheus servers scrape, the checks run on the cache's schedule, and a scrape stays fast
// even while S3 hangs (each check may take HEALTH_TIMEOUT_MS).
import type { ServiceMetrics } from '../http/metrics.js';

export interface CheckState {
  name: string;
  ok: boolean;
  skipped?: boolean;
  durationMs: number;
  details?: Record<string, unknown>;
}

export class HealthMetrics {
  readonly #metrics: ServiceMetrics;
  readonly #now: () => Date;
  #credentials: { source: string; expiresAt: number } | undefined;

  constructor(metrics: ServiceMetrics, now: () => Date) {
    this.#metrics = metrics;
    this.#now = now;
  }

  /** Takes a finished report's results. */
  record(report: { checkedAt: string; checks: readonly CheckState[] }): void {
    const { healthCheckUp, healthCheckDuration, healthCheckedAt } = this.#metrics;
    for (const check of report.checks) {
      healthCheckUp.set({ check: check.name }, check.ok || check.skipped === true ? 1 : 0);
      healthCheckDuration.set({ check: check.name }, check.durationMs / 1000);
    }
    const checkedAt = Date.parse(report.checkedAt);
    if (Number.isFinite(checkedAt)) healthCheckedAt.set(checkedAt / 1000);

    const credentials = report.checks.find((check) => check.name === 'credentials');
    const source = credentials?.details?.source;
    const expiresAt = Date.parse(String(credentials?.details?.expiresAt));
    // Missing credentials have no expiry to count down, and credentials that never expire none
    // to alert on: either way the series goes, rather than a number that means nothing.
    this.#credentials = typeof source === 'string' && Number.isFinite(expiresAt) ? { source, expiresAt } : undefined;
  }

  /** For each scrape: the seconds left are counted to the scrape, not to the last report. */
  refreshExpiry(): void {
    const gauge = this.#metrics.credentialsExpiry;
    gauge.reset();
    if (this.#credentials === undefined) return;
    gauge.set(
      { source: this.#credentials.source },
      Math.round((this.#credentials.expiresAt - this.#now().getTime()) / 1000),
    );
  }
}
