import { connect, createServer, type Server, type Socket } from 'node:net';

/** A TCP server standing for something inside a closed network: it records who reached it. */
export interface Canary {
  readonly port: number;
  readonly hostPort: string;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Bytes received so far. */
  readonly bytes: number;
  close(): Promise<void>;
}

/** Starts a {@link Canary} on 127.0.0.1 (a free port). */
export async function startCanary(): Promise<Canary> {
  let connections = 0;
  let bytes = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('data', (d: Buffer) => { bytes += d.length; });
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    hostPort: `127.0.0.1:${port}`,
    get connections() { return connections; },
    get bytes() { return bytes; },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Starts a TCP server on 127.0.0.1 that answers each connection with the SHA-256 (hex) of what it received, once the client half-closes. */
export async function startHashServer(): Promise<{ port: number; hostPort: string; close(): Promise<void> }> {
  const { createHash } = await import('node:crypto');
  const sockets = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const hash = createHash('sha256');
    socket.on('data', (d: Buffer) => hash.update(d));
    socket.on('end', () => socket.end(hash.digest('hex')));
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    hostPort: `127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Sends `data` to 127.0.0.1:`port`, half-closes, resolves with the whole answer ('' when closed without one). */
export function roundTrip(port: number, data: Buffer, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.end(data));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('utf8')); });
  });
}

/** SHA-256 (hex) of `data`. */
export async function sha256(data: Buffer): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(data).digest('hex');
}
