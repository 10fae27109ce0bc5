/**
 * The benchmark report: every figure with its target from BENCHMARKS.md and a pass/miss
 * verdict (never asserted), as a readable table. Ratios are against raw TCP measured in
 * the same run.
 */

/** One row of the report. */
export interface ReportRow {
  /** What was measured. */
  readonly figure: string;
  /** The measured value, formatted. */
  readonly value: string;
  /** Ratio to the raw-TCP baseline, when the figure has one. */
  readonly ratio?: number;
  /** The target, as text (empty when the figure is context only). */
  readonly target: string;
  /** Met, missed, or not applicable / not measured. */
  readonly verdict: 'pass' | 'miss' | '-' | 'missing';
}

/** The targets of BENCHMARKS.md. */
export const TARGETS = {
  bulkChannelRatio: 0.45,
  bulkRelayRatio: 0.30,
  roundTripsChannelRatio: 0.45,
  roundTripsRelayRatio: 0.30,
  handshakesPerSecond: 2000,
  policyNsPerDecision: 2000,
  credentialsPerSecond: 1000,
  idleConnections: 10_000,
  idleBytesPerConnection: 64 * 1024,
} as const;

/** `pass` when `ok`, else `miss`. */
export function verdict(ok: boolean): 'pass' | 'miss' {
  return ok ? 'pass' : 'miss';
}

/** A ratio with two decimals. */
export function ratioOf(value: number, base: number): number {
  return base > 0 ? Math.round((value / base) * 100) / 100 : Number.NaN;
}

/** Formats an integer with thousands separators. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Formats a byte count as KiB with one decimal. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** Renders rows as an aligned text table. */
export function renderTable(rows: readonly ReportRow[]): string {
  const header = ['figure', 'measured', 'x raw', 'target', 'verdict'];
  const cells = rows.map((r) => [r.figure, r.value, r.ratio === undefined || Number.isNaN(r.ratio) ? '' : r.ratio.toFixed(2), r.target, r.verdict]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i === 1 || i === 2 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}
