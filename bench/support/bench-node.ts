/**
 * Entry point of every benchmark child process: `bench-node ROLE`, started by
 * {@link BenchChild.start} over IPC. Roles:
 * - `sink`: the TCP server (bulk sink, echo, idle) and plain TCP forwarders;
 * - `client`: the load generator (bulk uploads, round trips, idle connections);
 * - `node`: a Symbolon node (inlets, outlets, channels, relay service or client).
 * The process exits when the parent disconnects or dies.
 */
import { serveRpc } from './child-rpc.js';
import { IdleConnections, bulkUpload, parallelBulkUpload, roundTrips } from './load-client.js';
import { portalNodeHandlers, sampleMemory } from './portal-node.js';
import { startForwarder, startSink } from './sink-server.js';
import type { BenchServer } from './sink-server.js';

const role = process.argv[2];

if (role === 'sink') {
  const servers: BenchServer[] = [];
  const keep = (server: BenchServer): { address: string } => {
    servers.push(server);
    return { address: server.address };
  };
  serveRpc({
    ready: () => ({ pid: process.pid }),
    sink: async () => keep(await startSink()),
    forwarder: async (args: { target: string }) => keep(await startForwarder(args.target)),
    connections: () => servers.reduce((n, s) => n + s.connections(), 0),
    memory: () => sampleMemory(),
  }, async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
} else if (role === 'client') {
  const idle = new IdleConnections();
  serveRpc({
    ready: () => ({ pid: process.pid }),
    bulk: (args: { address: string; bytes: number; chunk?: number }) => bulkUpload(args.address, args.bytes, args.chunk),
    parallelBulk: (args: { address: string; bytes: number; sessions: number }) => parallelBulkUpload(args.address, args.bytes, args.sessions),
    roundTrips: (args: { address: string; durationMs: number; size?: number }) => roundTrips(args.address, args.durationMs, args.size),
    openIdle: (args: { address: string; count: number; concurrency?: number }) => idle.open(args.address, args.count, args.concurrency),
    idleOpen: () => idle.size,
    closeIdle: () => {
      idle.closeAll();
      return {};
    },
  }, async () => idle.closeAll());
} else if (role === 'node') {
  const { handlers, cleanup } = portalNodeHandlers(`bench-${process.pid}`);
  serveRpc(handlers, cleanup);
} else {
  process.stderr.write(`bench-node: unknown role ${String(role)} (sink, client, node)\n`);
  process.exit(2);
}
