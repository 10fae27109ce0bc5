/**
 * Portal throughput and round trips against raw TCP from the same rounds: client ->
 * inlet -> ... -> outlet -> sink, each node in its own process (see portal-topology.ts),
 * next to client -> sink and client -> TCP forwarder -> sink (see raw-tcp.ts), and the
 * tunnels a user would pick instead, `ssh -L` and stunnel, where installed (see
 * comparisons.ts). Bulk MB/s and 64-byte round trips per second for every path that
 * could be built.
 */
import { startPortalTopology } from './portal-topology.js';
import type { PortalPath } from './portal-topology.js';
import { startRawTcpPaths } from './raw-tcp.js';
import { startComparisonPaths } from './comparisons.js';
import type { ComparisonPaths } from './comparisons.js';
import { COMPARISON_LABELS } from './support/tunnel-config.js';
import { measurePaths } from './support/measure-path.js';
import type { PathFigures, PathOptions } from './support/measure-path.js';
import type { BenchAuthority } from './support/bench-identity.js';
import type { BenchChild } from './support/child-rpc.js';
import { IoError } from '../core/errors.js';

/** What {@link benchThroughput} measured. */
export interface ThroughputBench {
  /** Client -> sink, and client -> TCP forwarder -> sink. */
  readonly raw: { readonly direct: PathFigures; readonly forwarded?: PathFigures };
  /** Other tunnels measured in the same rounds (ssh -L, stunnel), when installed. */
  readonly comparisons?: ReadonlyArray<{ readonly label: string; readonly figures: PathFigures }>;
  /** Comparison rows that could not run, with the reason (e.g. not installed). */
  readonly skipped?: Readonly<Record<string, string>>;
  readonly portal: {
    readonly paths: Partial<Record<PortalPath, PathFigures>>;
    /** Paths not measured, with the reason. */
    readonly missing: Partial<Record<PortalPath, string>>;
  };
}

/** Inputs of {@link benchThroughput}. */
export interface ThroughputBenchOptions extends PathOptions {
  readonly client: BenchChild;
  readonly sink: string;
  /** The sink's process id (for CPU figures). */
  readonly sinkPid?: number;
  readonly authority: BenchAuthority;
  readonly signal?: AbortSignal;
}

const PORTAL_PATHS: readonly PortalPath[] = ['plain', 'channel', 'channel-ws', 'channel-udp', 'relay', 'direct'];

/**
 * The rows `BENCH_PATHS` (comma-separated: `raw`, `raw-forwarded`, `ssh`, `stunnel` and the
 * portal paths) selects for a focused study; every row when unset. The raw TCP baseline is
 * always measured.
 */
export function selectedPaths(value: string | undefined): ReadonlySet<string> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const chosen = new Set(value.split(',').map((s) => s.trim()).filter((s) => s !== ''));
  chosen.add('raw');
  return chosen;
}

/** Builds the raw and portal paths, measures them interleaved, and stops their processes. */
export async function benchThroughput(options: ThroughputBenchOptions): Promise<ThroughputBench> {
  const only = selectedPaths(process.env.BENCH_PATHS);
  const wanted = (name: string): boolean => only === undefined || only.has(name);
  const raw = await startRawTcpPaths(options.sink, { signal: options.signal });
  const others = await (wanted('ssh') || wanted('stunnel')
    ? startComparisonPaths(options.sink)
    : Promise.resolve<ComparisonPaths>({ paths: {}, processes: {}, skipped: {}, stop: async () => {} })
  ).catch(async (error: unknown) => {
    await raw.stop();
    throw error;
  });
  try {
    const topology = await startPortalTopology({
      sink: options.sink, authority: options.authority, signal: options.signal, paths: PORTAL_PATHS.filter(wanted),
    });
    try {
      const client = { label: 'client', pid: options.client.pid };
      const sink = { label: 'sink', pid: options.sinkPid };
      const inlet = { label: 'inlet', pid: topology.inletNode.pid };
      const outlet = { label: 'outlet', pid: topology.outletNode.pid };
      const processes = {
        raw: [client, sink],
        'raw-forwarded': [client, { label: 'forwarder', pid: raw.forwarderPid }, sink],
        ssh: [client, ...(others.processes.ssh ?? []), sink],
        stunnel: [client, ...(others.processes.stunnel ?? []), sink],
        plain: [client, inlet, outlet, sink],
        channel: [client, inlet, outlet, sink],
        'channel-ws': [client, inlet, outlet, sink],
        'channel-udp': [client, inlet, outlet, sink],
        relay: [client, inlet, { label: 'project', pid: topology.projectNode?.pid }, outlet, sink],
        direct: [client, inlet, { label: 'project', pid: topology.projectNode?.pid }, outlet, sink],
      };
      const all: Record<string, string> = { ...raw.paths, ...others.paths, ...topology.inlets };
      const measured = Object.fromEntries(Object.entries(all).filter(([name]) => wanted(name)));
      const { figures, failed } = await measurePaths(options.client, measured, { ...options, processes });
      const comparisons: Array<{ label: string; figures: PathFigures }> = [];
      const skipped: Record<string, string> = { ...others.skipped };
      for (const name of ['ssh', 'stunnel'] as const) {
        if (others.paths[name] === undefined || !wanted(name)) continue;
        const f = figures[name];
        if (f) comparisons.push({ label: COMPARISON_LABELS[name], figures: f });
        else skipped[COMPARISON_LABELS[name]] = failed[name] ?? 'measurement failed';
      }
      const direct = figures.raw;
      if (!direct) throw new IoError('portal', `raw TCP baseline failed: ${failed.raw ?? 'unknown'}`);
      const paths: ThroughputBench['portal']['paths'] = {};
      const missing: ThroughputBench['portal']['missing'] = { ...topology.missing };
      for (const path of ['plain', 'channel', 'channel-ws', 'channel-udp', 'relay', 'direct'] as const) {
        const f = figures[path];
        if (f) paths[path] = f;
        else if (failed[path] !== undefined) missing[path] = failed[path];
      }
      const forwarded = figures['raw-forwarded'];
      return { raw: { direct, ...(forwarded ? { forwarded } : {}) }, comparisons, skipped, portal: { paths, missing } };
    } finally {
      await topology.stop();
    }
  } finally {
    await Promise.all([others.stop(), raw.stop()]);
  }
}
