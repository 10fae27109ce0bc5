/**
 * The benchmark's TCP server (the "sink") and a plain TCP forwarder.
 *
 * Sink protocol, per connection, decided by the first byte the client sends:
 * - `B` + u64 big-endian N: the server reads N more bytes, discards them and answers one
 *   byte `K` (bulk throughput, client to server);
 * - `E`: the server echoes every later byte (round trips);
 * - nothing: the connection stays idle (memory per idle connection).
 */
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { parseHostPort } from '../../core/transport/host-port.js';

/** Sink mode byte: bulk upload acknowledged with {@link BULK_ACK}. */
export const MODE_BULK = 0x42; // 'B'
/** Sink mode byte: echo. */
export const MODE_ECHO = 0x45; // 'E'
/** The byte that acknowledges a complete bulk upload. */
export const BULK_ACK = 0x4b; // 'K'
/** Length of a bulk header: mode byte and u64 length. */
export const BULK_HEADER_BYTES = 9;

/** A running TCP server of the benchmark. */
export interface BenchServer {
  /** `127.0.0.1:PORT`. */
  readonly address: string;
  /** Connections open right now. */
  connections(): number;
  close(): Promise<void>;
}

async function listen(server: Server, sockets: Set<Socket>): Promise<BenchServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    connections: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
}

/** Handles one sink connection: reads the mode, then counts (bulk) or echoes. */
function serveSink(socket: Socket): void {
  socket.setNoDelay(true);
  let header: Buffer = Buffer.alloc(0);
  let remaining = -1;
  const onData = (chunk: Buffer): void => {
    if (remaining >= 0) {
      remaining -= chunk.length;
      if (remaining <= 0) {
        socket.off('data', onData);
        socket.end(Buffer.of(BULK_ACK));
      }
      return;
    }
    header = header.length === 0 ? chunk : Buffer.concat([header, chunk]);
    if (header[0] === MODE_ECHO) {
      socket.off('data', onData);
      if (header.length > 1) socket.write(header.subarray(1));
      socket.pipe(socket);
      return;
    }
    if (header[0] !== MODE_BULK) {
      socket.destroy();
      return;
    }
    if (header.length < BULK_HEADER_BYTES) return;
    remaining = Number(header.readBigUInt64BE(1));
    const rest = header.subarray(BULK_HEADER_BYTES);
    header = Buffer.alloc(0);
    if (rest.length > 0 || remaining === 0) onData(rest);
  };
  socket.on('data', onData);
  // The client finished: finish too (half-open sockets would keep portal sessions alive).
  socket.once('end', () => socket.end());
}

/** Starts the sink on 127.0.0.1 (a free port). */
export function startSink(): Promise<BenchServer> {
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    track(sockets, socket);
    serveSink(socket);
  });
  return listen(server, sockets);
}

/**
 * Starts a plain TCP forwarder on 127.0.0.1: each accepted connection is piped both ways
 * to a new connection to `target` (the raw-TCP baseline with one extra process hop, as a
 * portal has).
 */
export function startForwarder(target: string): Promise<BenchServer> {
  const { host, port } = parseHostPort(target, { what: 'forwarder target' });
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(sockets, client);
    client.setNoDelay(true);
    const upstream = connect({ host, port, allowHalfOpen: true });
    track(sockets, upstream);
    upstream.setNoDelay(true);
    upstream.once('connect', () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  return listen(server, sockets);
}
