/**
 * Measures one client -> ... -> sink path from the load-generator process: bulk
 * throughput (a warm-up upload, then `runs` timed uploads, median) and 64-byte round
 * trips for a fixed time.
 */
import type { BenchChild } from './child-rpc.js';
import type { BulkResult, RoundTripResult } from './load-client.js';

/** Sizes of one path measurement. */
export interface PathOptions {
  /** Bytes per timed bulk upload. */
  readonly bulkBytes: number;
  /** Timed bulk uploads (the median counts). */
  readonly runs: number;
  /** Duration of the round-trip run, ms. */
  readonly roundTripMs: number;
  /** Skip the round trips (bulk only). */
  readonly bulkOnly?: boolean;
}

/** Bulk figures of one path. */
export interface BulkSummary {
  /** Median of the runs, MB/s (10^6 bytes). */
  readonly mbPerSecond: number;
  readonly runs: readonly number[];
  readonly bytesPerRun: number;
}

/** What one path measured. */
export interface PathFigures {
  readonly bulk: BulkSummary;
  readonly roundTrips?: RoundTripResult;
}

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs the bulk uploads and round trips against `address` from the `client` process. */
export async function measurePath(client: BenchChild, address: string, options: PathOptions): Promise<PathFigures> {
  const timeoutMs = 120_000;
  await client.call<BulkResult>('bulk', { address, bytes: Math.min(options.bulkBytes, 32 * 1024 * 1024) }, { timeoutMs });
  const runs: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    const r = await client.call<BulkResult>('bulk', { address, bytes: options.bulkBytes }, { timeoutMs });
    runs.push(round1(r.mbPerSecond));
  }
  const bulk = { mbPerSecond: round1(median(runs)), runs, bytesPerRun: options.bulkBytes };
  if (options.bulkOnly) return { bulk };
  const roundTrips = await client.call<RoundTripResult>('roundTrips', { address, durationMs: options.roundTripMs, size: 64 }, { timeoutMs: options.roundTripMs + 30_000 });
  return { bulk, roundTrips: { ...roundTrips, perSecond: Math.round(roundTrips.perSecond), seconds: round1(roundTrips.seconds * 100) / 100 } };
}

/** Rounds to one decimal. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
