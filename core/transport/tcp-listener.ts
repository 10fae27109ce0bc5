import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { AbortedError, IoError } from '../errors.js';
import type { Worker } from '../node/worker.js';
import { formatHostPort, parseHostPort } from './host-port.js';

/**
 * A listening TCP socket, registered as a worker so that stopping the node stops it.
 * It handles no messages (its incoming access control denies all); accepted sockets go
 * to `onConnection`. Stopping it stops accepting; open connections stay up.
 */
export class TcpListener implements Worker {
  private readonly server: Server;
  private bound = '';

  /**
   * `onError` receives errors of the listening socket once it listens (e.g. EMFILE while
   * accepting): an unhandled 'error' event would otherwise end the process. `maxConnections`
   * bounds the accepted connections open at once; further ones are closed on arrival.
   */
  constructor(onConnection: (socket: Socket) => void, options: { onError?: (error: Error) => void; maxConnections?: number } = {}) {
    this.server = createServer({ noDelay: true }, onConnection);
    const onError = options.onError ?? ((): void => undefined);
    this.server.on('error', (error) => {
      if (this.server.listening) onError(error);
    });
    if (options.maxConnections !== undefined) this.server.maxConnections = options.maxConnections;
  }

  /** The actual `host:port` once listening. */
  get address(): string {
    return this.bound;
  }

  /** Binds to `hostPort` (port 0 picks a free port). */
  listen(hostPort: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const { host, port } = parseHostPort(hostPort, { what: 'listener address', allowZero: true });
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError('transport', 'listen aborted'));
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        this.server.off('listening', onListening);
        this.server.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const onListening = (): void => {
        cleanup();
        const a = this.server.address() as AddressInfo;
        this.bound = formatHostPort(a.address, a.port);
        resolve(this.bound);
      };
      const onError = (error: Error): void => {
        cleanup();
        reject(new IoError('transport', `cannot listen on ${hostPort}: ${error.message}`, { cause: error }));
      };
      const onAbort = (): void => {
        cleanup();
        this.server.close();
        reject(new AbortedError('transport', 'listen aborted'));
      };
      this.server.once('listening', onListening);
      this.server.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.server.listen({ host, port });
    });
  }

  /** A listener receives no messages. */
  handleMessage(): void {}

  /** Stops accepting and waits until the listening socket is released. */
  async shutdown(): Promise<void> {
    if (!this.server.listening) return;
    this.server.close();
    // The listening handle is released in the close phase of this loop turn; two
    // check-phase turns later it is gone from the process's active handles.
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  }
}
