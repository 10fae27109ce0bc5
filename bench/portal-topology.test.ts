import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortalTopology } from './portal-topology.js';
import type { PortalTopology } from './portal-topology.js';
import { BenchChild } from './support/child-rpc.js';
import { createBenchAuthority } from './support/bench-identity.js';
import { bulkUpload, roundTrips } from './support/load-client.js';
import { startSink } from './support/sink-server.js';
import type { BenchServer } from './support/sink-server.js';
import type { PortalNodeStatus } from './support/portal-node.js';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('benchmark portal topology (node processes)', () => {
  let sink: BenchServer;
  let topology: PortalTopology;

  beforeAll(async () => {
    sink = await startSink();
    topology = await startPortalTopology({ sink: sink.address, authority: await createBenchAuthority() });
  }, 60_000);

  afterAll(async () => {
    await topology?.stop();
    await sink?.close();
  });

  it('builds every path (plain, channel over TCP, WebSocket and UDP, relay, direct), and each carries bulk data and round trips to the sink', async () => {
    expect(topology.missing).toEqual({});
    for (const path of ['plain', 'channel', 'channel-ws', 'channel-udp', 'relay', 'direct'] as const) {
      const address = topology.inlets[path]!;
      const bulk = await bulkUpload(address, 2 * 1024 * 1024);
      expect(bulk.mbPerSecond).toBeGreaterThan(0);
      const rt = await roundTrips(address, 100, 64, 10);
      expect(rt.roundTrips).toBeGreaterThan(0);
    }
    // The channel and relay paths really use their channels (inlet -> outlet over TCP, WebSocket
    // and UDP, inlet -> project, end to end).
    const status = await topology.inletNode.call<PortalNodeStatus>('status');
    expect(status.channels).toBe(6);
  }, 60_000);

  it('rejects an unknown operation with a one-line error and leaves no process behind', async () => {
    const child = await BenchChild.start('client');
    await expect(child.call('nonsense')).rejects.toThrow('bench client: unknown operation nonsense');
    const pid = child.pid;
    expect(alive(pid)).toBe(true);
    await child.stop();
    expect(alive(pid)).toBe(false);
    const pids = [topology.inletNode.pid, topology.outletNode.pid];
    await topology.stop();
    expect(pids.map(alive)).toEqual([false, false]);
  }, 30_000);
});
