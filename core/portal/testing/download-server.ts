import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { parseHostPort } from '../../transport/host-port.js';

/** A TCP server on 127.0.0.1 that sends each client a distinct byte stream and remembers its SHA-256. */
export interface DownloadServer {
  readonly address: string;
  /** SHA-256 hex of what the server sent on download `id` (once it ended it). */
  sentHash(id: number): string | undefined;
  /** Server-side connections still open. */
  open(): number;
  close(): Promise<void>;
}

/**
 * Starts a download server. A client sends 8 bytes: download id (u32be) and size in bytes
 * (u32be); the server answers `size` bytes (random blocks stamped with the id and offset, so
 * every download differs), written with back-pressure, then ends.
 */
export async function startDownloadServer(): Promise<DownloadServer> {
  const block = randomBytes(256 * 1024);
  const hashes = new Map<number, string>();
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      if (head.length < 8) return;
      socket.off('data', onData);
      const id = head.readUInt32BE(0);
      const size = head.readUInt32BE(4);
      void send(socket, id, size);
    };
    socket.on('data', onData);
  });
  const send = async (socket: Socket, id: number, size: number): Promise<void> => {
    const hash = createHash('sha256');
    for (let offset = 0; offset < size && !socket.destroyed; offset += block.length) {
      const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - offset)));
      if (chunk.length >= 8) {
        chunk.writeUInt32BE(id, 0);
        chunk.writeUInt32BE(offset, 4);
      }
      hash.update(chunk);
      if (!socket.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => { socket.off('drain', done); socket.off('close', done); resolve(); };
          socket.once('drain', done);
          socket.once('close', done);
        });
      }
    }
    if (socket.destroyed) return;
    hashes.set(id, hash.digest('hex'));
    socket.end();
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    sentHash: (id) => hashes.get(id),
    open: () => sockets.size,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The byte a download client writes after the end of stream, to tell an end from a reset. */
const END_PROBE = Uint8Array.of(0);

/** How a download through a portal ended. */
export interface DownloadResult {
  readonly id: number;
  /** `end`: a clean end of stream; `reset`: ECONNRESET; `error`: another socket error; `timeout`: still open at the deadline. */
  readonly outcome: 'end' | 'reset' | 'error' | 'timeout';
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * Downloads `size` bytes as download `id` from `address` (a download server, directly or
 * through a portal). A reset is reported as `reset` even when libuv reports it as an end of
 * stream (it does when the kernel signals a hang-up right after a partial read, though the
 * peer sent an RST): on `end` the client writes one byte, which fails with ECONNRESET or
 * EPIPE on a reset connection and succeeds on a half-closed one.
 */
export function download(address: string, id: number, size: number, timeoutMs: number): Promise<DownloadResult> {
  const { host, port } = parseHostPort(address, { origin: 'portal' });
  return new Promise((resolve) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const socket = connect({ host, port, allowHalfOpen: true });
    let finished = false;
    const finish = (outcome: DownloadResult['outcome']): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve({ id, outcome, bytes, sha256: hash.digest('hex') });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => {
      const request = Buffer.alloc(8);
      request.writeUInt32BE(id, 0);
      request.writeUInt32BE(size, 4);
      socket.write(request);
    });
    socket.on('data', (d: Buffer) => { bytes += d.length; hash.update(d); });
    socket.once('end', () => {
      socket.write(END_PROBE, (error) => {
        const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
        finish(code === undefined ? 'end' : code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : 'error');
      });
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'error'));
  });
}
