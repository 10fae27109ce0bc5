import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';

/** A TCP echo server on 127.0.0.1 for portal tests: echoes bytes and half-closes when the client does. */
export interface EchoServer {
  readonly address: string;
  /** Bytes received across all connections. */
  readonly received: () => number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  close(): Promise<void>;
}

/**
 * Starts a TCP server on 127.0.0.1 with `allowHalfOpen`. By default it echoes; `onSocket`
 * replaces that behaviour (e.g. a server that never reads).
 */
export async function startEchoServer(onSocket?: (socket: Socket) => void): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  let received = 0;
  let accepted = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    if (onSocket) return onSocket(socket);
    socket.on('data', (d: Buffer) => { received += d.length; });
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    received: () => received,
    accepted: () => accepted,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
