import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running loopback HTTP server (test endpoints that speak a cloud service's wire protocol). */
export interface LoopbackHttpServer {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Closes the listener and every open connection. */
  stop(): Promise<void>;
}

/** Listens on an ephemeral 127.0.0.1 port with `handler`. */
export async function startLoopbackHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LoopbackHttpServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return stopped;
    },
  };
}
