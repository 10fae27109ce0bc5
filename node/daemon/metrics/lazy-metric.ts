import { Counter, Gauge, type Registry } from 'prom-client';

/** One series of a metric: its label values and its value. */
export type Sample = readonly [labels: Readonly<Record<string, string>>, value: number];

/** What a lazy metric reads at scrape time: its series (an empty list exports none). */
export type SampleReader = () => Iterable<Sample> | Promise<Iterable<Sample>>;

/** Name, help text and label names of a metric. */
export interface MetricSpec {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

/**
 * A gauge whose series are read from the node's own state when Prometheus scrapes
 * (`read`), so nothing is counted twice and nothing runs between scrapes. Series that
 * `read` no longer returns (a deleted inlet) disappear.
 */
export function lazyGauge(registry: Registry, spec: MetricSpec, read: SampleReader): Gauge {
  const labelless = (spec.labelNames ?? []).length === 0;
  return new Gauge({
    name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], registers: [registry],
    async collect() {
      const samples = await read();
      this.reset();
      // A metric without labels would show 0 after a reset; absent is what no sample means.
      if (labelless) this.remove({});
      for (const [labels, value] of samples) this.set(labels, value);
    },
  });
}

/**
 * A counter copied, at scrape time, from a counter the node keeps anyway (a plain number
 * its owner increments): the hot path pays nothing for it. Values only grow while the
 * owner lives; a recreated owner (an inlet deleted and created again) starts at 0, which
 * Prometheus treats as a counter reset.
 */
export function lazyCounter(registry: Registry, spec: MetricSpec, read: SampleReader): Counter {
  const labelless = (spec.labelNames ?? []).length === 0;
  return new Counter({
    name: spec.name, help: spec.help, labelNames: [...(spec.labelNames ?? [])], registers: [registry],
    async collect() {
      const samples = await read();
      this.reset();
      if (labelless) this.remove({});
      for (const [labels, value] of samples) this.inc(labels, value);
    },
  });
}
