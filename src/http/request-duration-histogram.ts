// The request-duration histogram, counted without prom-client's work per observation. Its
// Histogram.observe builds a label object, checks every label name, writes the labels into a
// string key and looks that key up, and turns each bucket's bound into a property name: about
// 480 ns a request in-process, against 26 here (issue 22, docs/performance.md, seventh pass).
// Here a request finds its cell through three maps keyed by values it already holds (the route
// pattern, the method, the status code) and counts into an array. The registry renders it as it
// renders prom-client's own histogram, series for series (test/unit/http/
// request-duration-histogram.test.ts holds the two to the same text and JSON).
import type { Metric, Registry } from 'prom-client';

type Labels = { method: string; route: string; status: string };

interface Cell {
  readonly labels: Labels;
  /** Observations per bucket, not cumulative; the last is past the highest bound (+Inf only). */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** One sample as prom-client's registry reads it from a histogram (its own shape, kept). */
interface BucketValue {
  labels: { le?: number | string };
  sharedLabels: Labels;
  value: number;
  metricName: string;
  exemplar?: null | undefined;
}

export class RequestDurationHistogram {
  readonly name: string;
  readonly help: string;
  // What the registry reads of a metric besides get(): its type and how clusters merge it.
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #bounds: readonly number[];
  /** route → method → status → cell: every key is a value the request already holds. */
  #cells = new Map<string, Map<string, Map<number, Cell>>>();
  /** In the order first observed, the order prom-client renders its series in. */
  #ordered: Cell[] = [];

  constructor(options: { name: string; help: string; buckets: readonly number[]; registry: Registry }) {
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...options.buckets];
    // The registry renders any metric through get() (or getForPromString, below) and reads
    // name, help, type and aggregator; prom-client's types name its own classes only.
    options.registry.registerMetric(this as unknown as Metric);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    // elapsedTime is always finite; prom-client would throw on anything else, a response hook must not.
    if (!Number.isFinite(seconds)) return;
    const cell = this.#cell(method, route, status);
    const bounds = this.#bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++;
    (cell.counts[bucket] as number)++;
    cell.sum += seconds;
    cell.count++;
  }

  #cell(method: string, route: string, status: number): Cell {
    let methods = this.#cells.get(route);
    if (methods === undefined) this.#cells.set(route, (methods = new Map()));
    let statuses = methods.get(method);
    if (statuses === undefined) methods.set(method, (statuses = new Map()));
    let cell = statuses.get(status);
    if (cell === undefined) {
      cell = {
        labels: { method, route, status: String(status) },
        counts: new Array<number>(this.#bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      statuses.set(status, cell);
      this.#ordered.push(cell);
    }
    return cell;
  }

  /** The samples as prom-client's Histogram hands them to the registry's text format. */
  getForPromString(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: BucketValue[];
    aggregator: 'sum';
  }> {
    const bucketName = `${this.name}_bucket`;
    const values: BucketValue[] = [];
    for (const cell of this.#ordered) {
      let cumulative = 0;
      this.#bounds.forEach((bound, index) => {
        cumulative += cell.counts[index] as number;
        values.push({
          labels: { le: bound },
          sharedLabels: cell.labels,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      });
      values.push(
        {
          labels: { le: '+Inf' },
          sharedLabels: cell.labels,
          value: cell.count,
          metricName: bucketName,
          exemplar: null,
        },
        { labels: {}, sharedLabels: cell.labels, value: cell.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        {
          labels: {},
          sharedLabels: cell.labels,
          value: cell.count,
          metricName: `${this.name}_count`,
          exemplar: undefined,
        },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The samples as JSON (registry.getMetricsAsJSON): each with its series' labels and `le` in one object. */
  async get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    values: {
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
      exemplar?: null | undefined;
    }[];
    aggregator: 'sum';
  }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ sharedLabels, labels, ...sample }) => ({
        ...sample,
        labels: { ...labels, ...sharedLabels },
      })),
    };
  }

  reset(): void {
    this.#cells = new Map();
    this.#ordered = [];
  }
}
