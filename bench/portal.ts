/**
 * Portal throughput and round trips, client -> inlet -> ... -> outlet -> sink, each node
 * in its own process (see portal-topology.ts): bulk MB/s and 64-byte round trips per
 * second for every path that could be built.
 */
import { startPortalTopology } from './portal-topology.js';
import type { PortalPath } from './portal-topology.js';
import { measurePath } from './support/measure-path.js';
import type { PathFigures, PathOptions } from './support/measure-path.js';
import type { BenchAuthority } from './support/bench-identity.js';
import type { BenchChild } from './support/child-rpc.js';

/** What {@link benchPortals} measured. */
export interface PortalBench {
  readonly paths: Partial<Record<PortalPath, PathFigures>>;
  /** Paths not measured, with the reason. */
  readonly missing: Partial<Record<PortalPath, string>>;
}

/** Inputs of {@link benchPortals}. */
export interface PortalBenchOptions extends PathOptions {
  readonly client: BenchChild;
  readonly sink: string;
  readonly authority: BenchAuthority;
  readonly signal?: AbortSignal;
}

/** Builds the topology, measures each path in turn, and stops the node processes. */
export async function benchPortals(options: PortalBenchOptions): Promise<PortalBench> {
  const topology = await startPortalTopology({ sink: options.sink, authority: options.authority, signal: options.signal });
  try {
    const paths: PortalBench['paths'] = {};
    const missing: PortalBench['missing'] = { ...topology.missing };
    for (const path of ['plain', 'channel', 'relay'] as const) {
      const address = topology.inlets[path];
      if (address === undefined) continue;
      try {
        paths[path] = await measurePath(options.client, address, options);
      } catch (error) {
        missing[path] = `measurement failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    return { paths, missing };
  } finally {
    await topology.stop();
  }
}
