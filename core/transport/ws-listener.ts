import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { AbortedError, IoError } from '../errors.js';
import type { Worker } from '../node/worker.js';
import { formatHostPort, parseHostPort } from './host-port.js';

/** TLS material of a `wss` listener (PEM). */
export interface WsListenerTls {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
}

/** Options of a {@link WsListener}. */
export interface WsListenerOptions {
  /** Largest message accepted (the transport's maxFrameSize); ws checks it before buffering a body. */
  readonly maxPayload: number;
  /** Connections (upgraded or not yet) open at once; further ones are closed on arrival. */
  readonly maxConnections: number;
  /** Serves `wss` itself with this certificate; without it the listener speaks plain `ws` (TLS ends at a proxy). */
  readonly tls?: WsListenerTls;
  /** Errors of the listening socket once it listens (e.g. EMFILE while accepting). */
  readonly onError?: (error: Error) => void;
  /** Called for each connection closed on arrival because maxConnections were open. */
  readonly onDrop?: () => void;
}

/** How long a client may take to send the headers of its upgrade request. */
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * An HTTP(S) server that upgrades requests on any path to WebSockets, registered as a
 * worker so that stopping the node stops it. It handles no messages (its incoming access
 * control denies all); upgraded connections go to `onConnection` with their TCP socket and
 * the request. A plain HTTP request is answered `426 Upgrade Required`. Compression is off
 * (no per-message deflate). Stopping it stops accepting; upgraded connections stay up.
 */
export class WsListener implements Worker {
  private readonly server: HttpServer;
  private readonly wss: WebSocketServer;
  private bound = '';

  constructor(
    onConnection: (ws: WebSocket, socket: Socket, request: IncomingMessage) => void,
    private readonly options: WsListenerOptions,
  ) {
    this.server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key, noDelay: true })
      : createHttpServer({ noDelay: true });
    this.server.headersTimeout = HEADERS_TIMEOUT_MS;
    this.server.requestTimeout = HEADERS_TIMEOUT_MS;
    this.server.maxConnections = options.maxConnections;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      skipUTF8Validation: true,
    });
    this.server.on('request', (_request, response) => {
      response.writeHead(426, { Connection: 'close', Upgrade: 'websocket', 'Content-Type': 'text/plain' });
      response.end('This is a Symbolon node: connect with a WebSocket.\n');
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => undefined);
      this.wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, socket, request));
    });
    this.server.on('tlsClientError', (_error, socket: Socket) => socket.destroy());
    if (options.onDrop) this.server.on('drop', options.onDrop);
    const onError = options.onError ?? ((): void => undefined);
    this.server.on('error', (error) => {
      if (this.server.listening) onError(error);
    });
  }

  /** The actual `host:port` once listening. */
  get address(): string {
    return this.bound;
  }

  /** True when it serves `wss` itself. */
  get secure(): boolean {
    return this.options.tls !== undefined;
  }

  /** Binds to `hostPort` (port 0 picks a free port). */
  listen(hostPort: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    const { host, port } = parseHostPort(hostPort, { what: 'ws listener address', allowZero: true });
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

  /** Stops accepting, closes requests that were not upgraded, and waits until the listening socket is released. */
  async shutdown(): Promise<void> {
    if (!this.server.listening) return;
    this.server.close();
    this.server.closeIdleConnections();
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  }
}
