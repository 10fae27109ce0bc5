/**
 * Measures client -> ... -> sink paths from the load-generator process: bulk throughput
 * (a warm-up upload, then `runs` timed uploads, median) and 64-byte round trips. Paths
 * are measured in turn within each round (raw, portal, relay, raw, portal, relay ...),
 * so a change in the machine's load during the run shifts all of them alike and the
 * ratios stay fair.
 */
import type { BenchChild } from './child-rpc.js';
import type { BulkResult, RoundTripResult } from './load-client.js';

/** Sizes of a measurement. */
export interface PathOptions {
  /** Bytes per timed bulk upload. */
  readonly bulkBytes: number;
  /** Timed bulk uploads and round-trip slices per path (the median upload counts). */
  readonly runs: number;
  /** Total round-trip time per path, ms (split into `runs` slices). */
  readonly roundTripMs: number;
}

/** Bulk figures of one path. */
export interface BulkSummary {
  /** Median of the runs, MB/s (10^6 bytes). */
  readonly mbPerSecond: number;
  readonly runs: readonly number[];
  readonly bytesPerRun: number;
}

/** Round-trip figures of one path, over all slices. */
export interface RoundTripSummary {
  readonly perSecond: number;
  readonly roundTrips: number;
  readonly seconds: number;
  /** Median of the slices' median round trip, microseconds. */
  readonly medianMicros: number;
}

/** What one path measured. */
export interface PathFigures {
  readonly bulk: BulkSummary;
  readonly roundTrips: RoundTripSummary;
}

/** The median of `values` (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to one decimal. */
export function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/**
 * Measures every path in `paths` (name -> `HOST:PORT`), interleaved. A path whose
 * measurement fails is dropped from the rest of the run and reported in `failed`.
 */
export async function measurePaths(
  client: BenchChild,
  paths: Readonly<Record<string, string>>,
  options: PathOptions,
): Promise<{ figures: Record<string, PathFigures>; failed: Record<string, string> }> {
  const timeoutMs = 180_000;
  const failed: Record<string, string> = {};
  const live = new Set(Object.keys(paths));
  const guard = async (name: string, run: () => Promise<void>): Promise<void> => {
    if (!live.has(name)) return;
    try {
      await run();
    } catch (error) {
      live.delete(name);
      failed[name] = `measurement failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  };
  const bulk: Record<string, number[]> = {};
  const slices: Record<string, RoundTripResult[]> = {};
  for (const name of live) {
    bulk[name] = [];
    slices[name] = [];
    await guard(name, async () => {
      await client.call<BulkResult>('bulk', { address: paths[name], bytes: Math.min(options.bulkBytes, 32 * 1024 * 1024) }, { timeoutMs });
    });
  }
  for (let run = 0; run < options.runs; run++) {
    for (const name of [...live]) {
      await guard(name, async () => {
        const r = await client.call<BulkResult>('bulk', { address: paths[name], bytes: options.bulkBytes }, { timeoutMs });
        bulk[name]!.push(round1(r.mbPerSecond));
      });
    }
  }
  const sliceMs = Math.max(200, Math.round(options.roundTripMs / options.runs));
  for (let run = 0; run < options.runs; run++) {
    for (const name of [...live]) {
      await guard(name, async () => {
        slices[name]!.push(await client.call<RoundTripResult>('roundTrips', { address: paths[name], durationMs: sliceMs, size: 64 }, { timeoutMs: sliceMs + 30_000 }));
      });
    }
  }
  const figures: Record<string, PathFigures> = {};
  for (const name of live) {
    const s = slices[name]!;
    const roundTrips = s.reduce((n, r) => n + r.roundTrips, 0);
    const seconds = s.reduce((n, r) => n + r.seconds, 0);
    figures[name] = {
      bulk: { mbPerSecond: round1(median(bulk[name]!)), runs: bulk[name]!, bytesPerRun: options.bulkBytes },
      roundTrips: { perSecond: Math.round(roundTrips / seconds), roundTrips, seconds: Math.round(seconds * 100) / 100, medianMicros: Math.round(median(s.map((r) => r.medianMicros))) },
    };
  }
  return { figures, failed };
}
