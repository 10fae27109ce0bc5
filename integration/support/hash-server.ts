import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** A server that sends a fixed blob to every client and keeps the SHA-256 of what each client sent. */
export interface BlobServer {
  readonly port: number;
  /** The blob every connection receives. */
  readonly blob: Buffer;
  /** SHA-256 (hex) of the bytes each finished connection sent, in the order they finished. */
  readonly received: string[];
  close(): Promise<void>;
}

/**
 * Starts a {@link BlobServer} on `host` (default 127.0.0.1; port 0 picks one): on each
 * connection it writes `blobBytes` random bytes and ends its side; it reads the client's
 * bytes until the client ends, then records their SHA-256.
 */
export async function startBlobServer(blobBytes: number, { host = '127.0.0.1', port = 0 }: { host?: string; port?: number } = {}): Promise<BlobServer> {
  const blob = randomBytes(blobBytes);
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    const hash = createHash('sha256');
    socket.on('data', (d: Buffer) => hash.update(d));
    socket.once('end', () => received.push(hash.digest('hex')));
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.end(blob);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    blob,
    received,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** SHA-256 (hex) of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Connects to `host:port`, sends `upload` and ends its side, and resolves with the SHA-256
 * and length of everything received until the server closed; rejects after `timeoutMs`.
 */
export function exchange(port: number, upload: Buffer, { host = '127.0.0.1', timeoutMs = 60_000 } = {}): Promise<{ sha256: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    let bytes = 0;
    const socket = createConnection({ host, port });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`exchange with ${host}:${port} took longer than ${timeoutMs} ms (${bytes} bytes received)`)); }, timeoutMs);
    socket.on('connect', () => socket.end(upload));
    socket.on('data', (d: Buffer) => { hash.update(d); bytes += d.length; });
    socket.once('error', (error) => { clearTimeout(timer); reject(error); });
    socket.once('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve({ sha256: hash.digest('hex'), bytes });
    });
  });
}
