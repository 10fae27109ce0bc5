import { describe, expect, it } from 'vitest';
import { PGBENCH_TARGET_RATIO, parsePgbenchOutput } from './pgbench.js';
import { buildRows } from './support/report-rows.js';

const REPORT = `pgbench (15.14 (Debian 15.14-0+deb12u1))
transaction type: <builtin: select only>
scaling factor: 1
query mode: simple
number of clients: 1
duration: 5 s
number of transactions actually processed: 61234
number of failed transactions: 0 (0.000%)
latency average = 0.081 ms
initial connection time = 3.456 ms
tps = 12246.912345 (without initial connection time)
`;

const pgbenchRows = (rows: ReturnType<typeof buildRows>) => rows.filter((r) => r.figure.startsWith('pgbench'));

describe('pgbench figure', () => {
  it('reads tps without the connection time, and the average latency', () => {
    expect(parsePgbenchOutput(REPORT)).toEqual({ tps: 12246.912345, latencyMs: 0.081 });
  });

  it('rejects output without a tps line, naming the last lines', () => {
    expect(() => parsePgbenchOutput('connection to server failed\nFATAL: no such database\n')).toThrow(/no tps\/latency.*no such database/);
  });

  it('judges the relay TPS by its ratio to direct TPS from the same run', () => {
    const run = (tps: number) => ({ tps, latencyMs: 1000 / tps });
    const rows = pgbenchRows(buildRows({
      errors: {},
      pgbench: { seconds: 5, direct: [run(10_000)], relay: [run(4_900)], directTps: 10_000, relayTps: 4_900, ratio: 0.49 },
    }));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ value: '10,000 tps', ratio: 1, verdict: '-' });
    expect(rows[1]).toMatchObject({ value: '4,900 tps', ratio: 0.49, target: `>= ${PGBENCH_TARGET_RATIO.toFixed(2)} x direct`, verdict: 'miss' });
    const pass = pgbenchRows(buildRows({
      errors: {},
      pgbench: { seconds: 5, direct: [run(10_000)], relay: [run(5_000)], directTps: 10_000, relayTps: 5_000, ratio: 0.5 },
    }));
    expect(pass[1]!.verdict).toBe('pass');
  });

  it('shows a skipped or failed run as one missing row with the reason', () => {
    const skipped = pgbenchRows(buildRows({ errors: {}, pgbench: { skipped: 'skipped: pgbench/postgres not installed (pgbench not found)' } }));
    expect(skipped).toEqual([expect.objectContaining({ value: 'skipped: pgbench/postgres not installed (pgbench not found)', verdict: 'missing' })]);
    const failed = pgbenchRows(buildRows({ errors: { pgbench: 'relay path unavailable' } }));
    expect(failed).toEqual([expect.objectContaining({ value: 'not measured: relay path unavailable', verdict: 'missing' })]);
  });
});
