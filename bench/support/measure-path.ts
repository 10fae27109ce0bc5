/**
 * Measures client -> ... -> sink paths from the load-generator process: bulk throughput
 * (a warm-up upload, then `runs` timed uploads, median) and 64-byte round trips. Paths
 * are measured in turn within each round (raw, portal, relay, raw, portal, relay ...),
 * so a change in the machine's load during the run shifts all of them alike and the
 * ratios stay fair.
 */
import type { BenchChild } from './child-rpc.js';
import type { BulkResult, RoundTripResult } from './load-client.js';
import { startCpuSample, systemIdle } from './cpu-usage.js';
import type { CpuProcess } from './cpu-usage.js';

/** Sizes of a measurement. */
export interface PathOptions {
  /** Bytes per timed bulk upload. */
  readonly bulkBytes: number;
  /** Timed bulk uploads and round-trip slices per path (the median upload counts). */
  readonly runs: number;
  /** Total round-trip time per path, ms (split into `runs` slices). */
  readonly roundTripMs: number;
  /** Concurrent sessions of the aggregate bulk figure (0: not measured). */
  readonly sessions?: number;
  /** The processes each path runs through (client and sink included), for CPU figures. */
  readonly processes?: Readonly<Record<string, readonly CpuProcess[]>>;
}

/** Bulk figures of one path. */
export interface BulkSummary {
  /** Median of the runs, MB/s (10^6 bytes). */
  readonly mbPerSecond: number;
  readonly runs: readonly number[];
  readonly bytesPerRun: number;
  /**
   * CPU seconds per GB (10^9 bytes) carried, by process label and `total`, summed over the
   * timed runs; absent where /proc is not readable.
   */
  readonly cpuSecondsPerGB?: Readonly<Record<string, number>>;
  /** Idle share of the machine's CPUs during the timed runs (0..1). */
  readonly systemIdle?: number;
}

/** Aggregate bulk figures of several sessions at once on one path. */
export interface ParallelSummary {
  readonly sessions: number;
  /** Median of the runs, MB/s in total. */
  readonly mbPerSecond: number;
  readonly runs: readonly number[];
  readonly cpuSecondsPerGB?: Readonly<Record<string, number>>;
}

/** Round-trip figures of one path, over all slices. */
export interface RoundTripSummary {
  readonly perSecond: number;
  readonly roundTrips: number;
  readonly seconds: number;
  /** Median of the slices' median round trip, microseconds. */
  readonly medianMicros: number;
  /** Largest of the slices' 99th percentile, microseconds. */
  readonly p99Micros: number;
  /** CPU microseconds per round trip, by process label and `total`. */
  readonly cpuMicrosPerRoundTrip?: Readonly<Record<string, number>>;
}

/** What one path measured. */
export interface PathFigures {
  readonly bulk: BulkSummary;
  readonly roundTrips: RoundTripSummary;
  readonly parallel?: ParallelSummary;
}

/** Adds `sample` into `into`, by label. */
function addCpu(into: Record<string, number>, sample: Record<string, number>): void {
  for (const [label, seconds] of Object.entries(sample)) into[label] = (into[label] ?? 0) + seconds;
}

/** CPU per unit (`scale / units`), by label plus `total`; undefined when nothing was readable. */
function perUnit(cpu: Record<string, number>, units: number, scale: number): Record<string, number> | undefined {
  const entries = Object.entries(cpu).filter(([, v]) => Number.isFinite(v));
  if (entries.length === 0 || units <= 0) return undefined;
  const out: Record<string, number> = {};
  let total = 0;
  for (const [label, seconds] of entries) {
    out[label] = Math.round((seconds * scale / units) * 100) / 100;
    total += seconds;
  }
  out.total = Math.round((total * scale / units) * 100) / 100;
  return out;
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
  const parallel: Record<string, number[]> = {};
  const cpuBulk: Record<string, Record<string, number>> = {};
  const cpuParallel: Record<string, Record<string, number>> = {};
  const cpuRoundTrips: Record<string, Record<string, number>> = {};
  const idle: Record<string, { idle: number; total: number }> = {};
  const processesOf = (name: string): readonly CpuProcess[] => options.processes?.[name] ?? [];
  const sessions = options.sessions ?? 0;
  for (const name of live) {
    bulk[name] = [];
    slices[name] = [];
    parallel[name] = [];
    cpuBulk[name] = {};
    cpuParallel[name] = {};
    cpuRoundTrips[name] = {};
    idle[name] = { idle: 0, total: 0 };
    await guard(name, async () => {
      await client.call<BulkResult>('bulk', { address: paths[name], bytes: Math.min(options.bulkBytes, 32 * 1024 * 1024) }, { timeoutMs });
    });
  }
  for (let run = 0; run < options.runs; run++) {
    for (const name of [...live]) {
      await guard(name, async () => {
        const cpu = startCpuSample(processesOf(name));
        const before = systemIdle();
        const r = await client.call<BulkResult>('bulk', { address: paths[name], bytes: options.bulkBytes }, { timeoutMs });
        const after = systemIdle();
        addCpu(cpuBulk[name]!, cpu.stop());
        idle[name]!.idle += after.idle - before.idle;
        idle[name]!.total += after.total - before.total;
        bulk[name]!.push(round1(r.mbPerSecond));
      });
    }
  }
  for (let run = 0; run < (sessions > 0 ? options.runs : 0); run++) {
    for (const name of [...live]) {
      await guard(name, async () => {
        const cpu = startCpuSample(processesOf(name));
        const r = await client.call<BulkResult>('parallelBulk', { address: paths[name], bytes: options.bulkBytes, sessions }, { timeoutMs });
        addCpu(cpuParallel[name]!, cpu.stop());
        parallel[name]!.push(round1(r.mbPerSecond));
      });
    }
  }
  const sliceMs = Math.max(200, Math.round(options.roundTripMs / options.runs));
  for (let run = 0; run < options.runs; run++) {
    for (const name of [...live]) {
      await guard(name, async () => {
        const cpu = startCpuSample(processesOf(name));
        slices[name]!.push(await client.call<RoundTripResult>('roundTrips', { address: paths[name], durationMs: sliceMs, size: 64 }, { timeoutMs: sliceMs + 30_000 }));
        addCpu(cpuRoundTrips[name]!, cpu.stop());
      });
    }
  }
  const figures: Record<string, PathFigures> = {};
  for (const name of live) {
    const s = slices[name]!;
    const roundTrips = s.reduce((n, r) => n + r.roundTrips, 0);
    const seconds = s.reduce((n, r) => n + r.seconds, 0);
    // Round trips include the 200 untimed warm-up ones per slice in their CPU time.
    const roundTripCpu = perUnit(cpuRoundTrips[name]!, roundTrips + 200 * s.length, 1e6);
    const bulkCpu = perUnit(cpuBulk[name]!, (bulk[name]!.length * options.bulkBytes) / 1e9, 1);
    const parallelCpu = perUnit(cpuParallel[name]!, (parallel[name]!.length * options.bulkBytes) / 1e9, 1);
    const i = idle[name]!;
    figures[name] = {
      bulk: {
        mbPerSecond: round1(median(bulk[name]!)), runs: bulk[name]!, bytesPerRun: options.bulkBytes,
        ...(bulkCpu ? { cpuSecondsPerGB: bulkCpu } : {}),
        ...(i.total > 0 ? { systemIdle: Math.round((i.idle / i.total) * 100) / 100 } : {}),
      },
      roundTrips: {
        perSecond: Math.round(roundTrips / seconds), roundTrips, seconds: Math.round(seconds * 100) / 100,
        medianMicros: Math.round(median(s.map((r) => r.medianMicros))),
        p99Micros: Math.max(0, ...s.map((r) => r.p99Micros)),
        ...(roundTripCpu ? { cpuMicrosPerRoundTrip: roundTripCpu } : {}),
      },
      ...(parallel[name]!.length > 0
        ? { parallel: { sessions, mbPerSecond: round1(median(parallel[name]!)), runs: parallel[name]!, ...(parallelCpu ? { cpuSecondsPerGB: parallelCpu } : {}) } }
        : {}),
    };
  }
  return { figures, failed };
}
