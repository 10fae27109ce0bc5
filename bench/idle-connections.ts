/**
 * Memory per idle portal connection: N client connections held open through one inlet
 * (over one secure channel to the outlet, or over plain TCP routing when channels are
 * unavailable), each with its outlet session and sink connection. Reports the growth of
 * the inlet and outlet processes' RSS and JS heap (after full collections) divided by N.
 */
import { startPortalTopology } from './portal-topology.js';
import type { PortalPath } from './portal-topology.js';
import type { BenchAuthority } from './support/bench-identity.js';
import type { BenchChild } from './support/child-rpc.js';
import type { MemorySample, PortalNodeStatus } from './support/portal-node.js';
import { TimeoutError } from '../core/errors.js';

/** Growth of one process per idle connection, in bytes. */
export interface PerConnection {
  readonly rss: number;
  readonly heapUsed: number;
  /** Buffers outside the JS heap (external + array buffers). */
  readonly external: number;
}

/** What {@link benchIdleConnections} measured. */
export interface IdleBench {
  readonly path: PortalPath;
  /** Connections asked for. */
  readonly requested: number;
  /** Outlet sessions open at the measurement. */
  readonly sessions: number;
  /** Seconds to open all of them. */
  readonly openSeconds: number;
  readonly inlet: PerConnection;
  readonly outlet: PerConnection;
  /** Inlet + outlet RSS growth per connection, bytes (what the target bounds). */
  readonly rssPerConnection: number;
  /** Why the secure-channel path was not used, if it was not. */
  readonly fallbackReason?: string;
}

/** Inputs of {@link benchIdleConnections}. */
export interface IdleBenchOptions {
  readonly client: BenchChild;
  readonly sink: string;
  readonly authority: BenchAuthority;
  readonly count: number;
  readonly signal?: AbortSignal;
}

function growth(before: MemorySample, after: MemorySample, n: number): PerConnection {
  return {
    rss: Math.round((after.rss - before.rss) / n),
    heapUsed: Math.round((after.heapUsed - before.heapUsed) / n),
    external: Math.round((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n),
  };
}

/** Polls the outlet node until `done(sessions)` holds; resolves with the session count. */
async function waitForSessions(node: BenchChild, done: (sessions: number) => boolean, what: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { outletSessions } = await node.call<PortalNodeStatus>('status');
    if (done(outletSessions)) return outletSessions;
    if (Date.now() > deadline) throw new TimeoutError('portal', `${what}: ${outletSessions} outlet sessions after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForInletDrained(node: BenchChild): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await node.call<PortalNodeStatus>('status')).inletSessions > 0) {
    if (Date.now() > deadline) throw new TimeoutError('portal', 'warm-up inlet sessions did not close');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens `count` idle connections through fresh inlet and outlet processes and measures their memory. */
export async function benchIdleConnections(options: IdleBenchOptions): Promise<IdleBench> {
  const { client, count } = options;
  let topology = await startPortalTopology({ sink: options.sink, authority: options.authority, paths: ['channel'], signal: options.signal });
  let path: PortalPath = 'channel';
  const fallbackReason = topology.missing.channel;
  if (topology.inlets.channel === undefined) {
    await topology.stop();
    topology = await startPortalTopology({ sink: options.sink, authority: options.authority, paths: ['plain'], signal: options.signal });
    path = 'plain';
  }
  try {
    const address = topology.inlets[path]!;
    const { inletNode, outletNode } = topology;
    // Warm up code paths and pools, then measure from a settled baseline.
    const warm = Math.min(100, count);
    await client.call('openIdle', { address, count: warm });
    await waitForSessions(outletNode, (n) => n >= warm, 'warm-up sessions did not open', 30_000);
    await client.call('closeIdle');
    await waitForSessions(outletNode, (n) => n === 0, 'warm-up sessions did not close', 30_000);
    await waitForInletDrained(inletNode);
    await new Promise((r) => setTimeout(r, 300));
    const [inletBefore, outletBefore] = await Promise.all([inletNode.call<MemorySample>('memory'), outletNode.call<MemorySample>('memory')]);
    const start = performance.now();
    await client.call('openIdle', { address, count }, { timeoutMs: 120_000 });
    const sessions = await waitForSessions(outletNode, (n) => n >= count, 'idle sessions did not all open', 120_000);
    const openSeconds = (performance.now() - start) / 1000;
    await new Promise((r) => setTimeout(r, 500));
    const [inletAfter, outletAfter] = await Promise.all([inletNode.call<MemorySample>('memory'), outletNode.call<MemorySample>('memory')]);
    await client.call('closeIdle');
    const inlet = growth(inletBefore, inletAfter, count);
    const outlet = growth(outletBefore, outletAfter, count);
    return {
      path, requested: count, sessions, openSeconds: Math.round(openSeconds * 100) / 100, inlet, outlet,
      rssPerConnection: inlet.rss + outlet.rss,
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
    };
  } finally {
    await client.call('closeIdle').catch(() => undefined);
    await topology.stop();
  }
}
