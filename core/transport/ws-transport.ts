import type { IncomingMessage } from 'node:http';
import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import { AbortedError, InvalidInputError, IoError, TimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import { denyAll } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import { WS, formatWsAddress, parseWsAddress } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { ConnectionTable } from './connection-table.js';
import { formatHostPort, parseHostPort } from './host-port.js';
import { PeerBudget } from './peer-budget.js';
import type { SourceShare } from './peer-budget.js';
import { TCP_LIMIT_DEFAULTS } from './tcp-transport.js';
import type { Transport, TransportConnectionInfo, TransportKind, TransportLimits } from './transport.js';
import { WsConnection } from './ws-connection.js';
import type { WsConnectionHost, WsTransportStats } from './ws-connection.js';
import { WsListener } from './ws-listener.js';
import type { WsListenerTls } from './ws-listener.js';

export type { WsTransportStats } from './ws-connection.js';
export type { WsListenerTls } from './ws-listener.js';

/** Options for {@link WsTransport}. */
export interface WsTransportOptions extends TransportLimits {
  /** Largest message body accepted or sent, in bytes. Default 256 KiB. */
  maxFrameSize?: number;
  /** A connection that wrote nothing for this long sends a heartbeat. Default 5 s. */
  heartbeatIntervalMs?: number;
  /** A connection that received nothing for this long is closed. Default 20 s. */
  heartbeatTimeoutMs?: number;
  /** Buffered bytes past which a connection pauses the connections feeding it. Default 1 MiB. */
  writeHighWaterMark?: number;
  /** Buffered bytes past which a connection is closed (its peer does not read). Default 8 x writeHighWaterMark. */
  maxBufferedBytes?: number;
  /** Timeout of a connect (TCP, TLS and the upgrade) started by routing. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * Connections open at once per listener (upgraded or not); further ones are closed on
   * arrival. The per-source and total bounds of TcpTransportOptions apply too, with the same
   * defaults (TCP_LIMIT_DEFAULTS); behind a reverse proxy every member is one source.
   */
  maxIncomingConnections?: number;
  /**
   * Certificates (PEM) trusted for `wss` connects instead of the system store (e.g. a
   * private CA's). Without it, Node's store (plus NODE_EXTRA_CA_CERTS) decides.
   */
  ca?: string | Buffer;
  /** With it, listeners serve `wss` themselves; without it they speak plain `ws` (TLS ends at a proxy). */
  tls?: WsListenerTls;
}

interface Dial {
  readonly promise: Promise<WsConnection>;
  readonly controller: AbortController;
  readonly queue: Message[];
  queuedBytes: number;
}

/**
 * WebSocket transport: the TCP transport's frames as binary WebSocket messages, so that a
 * node reaches another through HTTP(S) proxies and load balancers that pass only WebSocket
 * upgrades. Listeners (`HOST:PORT`, plain `ws`, or `wss` with `tls`) and connections are
 * workers on `node`, and the transport is the node's router for WebSocket addresses
 * (`ws://HOST:PORT/PATH`, `wss://HOST:PORT/PATH`). Sending to a route whose first hop is a
 * WebSocket address connects lazily (concurrent sends share one connect and queue, up to
 * writeHighWaterMark bytes, until it is open), pops the hop and sends one message.
 *
 * Wire: an HTTP/1.1 upgrade to the address's path (a listener accepts any path); then the
 * connecting side sends one binary message holding the version byte 1; then both sides
 * send one binary message per routed message (the TCP frame body); an empty message is a
 * heartbeat. Text messages, compression and messages larger than maxFrameSize (checked
 * by ws from the frame header, before any body is held) close the connection.
 *
 * Back-pressure and buffer bounds are those of the TCP transport, on the bytes buffered
 * under the WebSocket (its `bufferedAmount`).
 */
export class WsTransport implements Transport {
  readonly name = 'ws';
  readonly addressType = WS;
  readonly stats: WsTransportStats = {
    framesIn: 0, framesOut: 0, oversized: 0, malformed: 0, protocolErrors: 0, heartbeatTimeouts: 0,
    badVersion: 0, connectFailures: 0, writeDropped: 0, refusedConnections: 0,
  };
  /** What peers make this node hold over WebSocket, per source and in total, and the refusals. */
  readonly budget: PeerBudget;
  private readonly host: WsConnectionHost;
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxIncomingConnections: number;
  private readonly ca: string | Buffer | undefined;
  private readonly tls: WsListenerTls | undefined;
  private readonly table: ConnectionTable<WsConnection>;
  private readonly dials = new Map<string, Dial>();
  private readonly listenerAddresses = new Set<string>();
  private readonly removeStopHook: () => void;
  private counter = 0;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly node: Node,
    options: WsTransportOptions = {},
  ) {
    const writeHighWaterMark = options.writeHighWaterMark ?? 1024 * 1024;
    this.logger = node.logger.child({ transport: 'ws' });
    this.heartbeatIntervalMs = options.heartbeatIntervalMs ?? 5_000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 20_000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.maxIncomingConnections = options.maxIncomingConnections ?? TCP_LIMIT_DEFAULTS.maxIncomingConnections;
    const limits = {
      maxConnectionsPerSource: options.maxConnectionsPerSource ?? TCP_LIMIT_DEFAULTS.maxConnectionsPerSource,
      maxBufferedBytesPerSource: options.maxBufferedBytesPerSource ?? TCP_LIMIT_DEFAULTS.maxBufferedBytesPerSource,
      maxBufferedBytesTotal: options.maxBufferedBytesTotal ?? TCP_LIMIT_DEFAULTS.maxBufferedBytesTotal,
      maxPartialFrameBytesPerSource: options.maxPartialFrameBytesPerSource ?? TCP_LIMIT_DEFAULTS.maxPartialFrameBytesPerSource,
      maxPartialFrameBytesTotal: options.maxPartialFrameBytesTotal ?? TCP_LIMIT_DEFAULTS.maxPartialFrameBytesTotal,
    };
    for (const [name, value] of Object.entries({ maxIncomingConnections: this.maxIncomingConnections, ...limits })) {
      if (!Number.isSafeInteger(value) || value < 1) throw new InvalidInputError('transport', `${name} must be a positive integer`);
    }
    this.budget = new PeerBudget(limits);
    this.ca = options.ca;
    this.tls = options.tls;
    this.table = new ConnectionTable<WsConnection>({
      name: 'ws', addressType: WS, node, logger: this.logger, stats: this.stats,
      heartbeatIntervalMs: this.heartbeatIntervalMs, heartbeatTimeoutMs: this.heartbeatTimeoutMs,
    });
    this.host = {
      node,
      logger: this.logger,
      stats: this.stats,
      maxFrameSize: options.maxFrameSize ?? 256 * 1024,
      writeHighWaterMark,
      maxBufferedBytes: options.maxBufferedBytes ?? 8 * writeHighWaterMark,
      budget: this.budget,
      sourceOf: this.table.sourceOf,
      closed: (connection) => this.onConnectionClosed(connection),
    };
    node.registerRouter(WS, this.router);
    this.removeStopHook = node.onStop(() => this.stop());
  }

  /**
   * Listens on `address` (`HOST:PORT`, or `ws://HOST:PORT/`; port 0 allowed) for upgrades
   * on any path; resolves with the actual address as a URL, `ws://host:port/` (`wss://` when
   * the transport has `tls`).
   */
  async listen(address: string, options: { signal?: AbortSignal } = {}): Promise<{ address: string }> {
    this.assertRunning();
    const hostPort = listenHostPort(address);
    const listener = new WsListener((ws, socket, request) => this.accept(ws, socket, request), {
      maxPayload: this.host.maxFrameSize,
      maxConnections: this.maxIncomingConnections,
      ...(this.tls ? { tls: this.tls } : {}),
      onError: (error) => this.logger.warn({ err: error.message }, 'ws listener error'),
      onDrop: () => {
        if (this.stats.refusedConnections++ % 1000 === 0) this.logger.warn({ refused: this.stats.refusedConnections }, 'ws listener full; closing new connections');
      },
    });
    const bound = parseHostPort(await listener.listen(hostPort, options), { allowZero: true });
    const url = formatWsAddress({ secure: listener.secure, host: bound.host, port: bound.port, path: '/' });
    const workerAddress = `ws-listener-${++this.counter}`;
    try {
      await this.node.startWorker(workerAddress, listener, { incoming: denyAll, outgoing: denyAll });
    } catch (error) {
      await listener.shutdown();
      throw error;
    }
    this.listenerAddresses.add(workerAddress);
    this.logger.info({ address: url, worker: workerAddress }, 'ws listener started');
    return { address: url };
  }

  /**
   * Opens (or reuses) the outgoing connection to `url` (`ws://HOST:PORT/PATH` or
   * `wss://...`); routing also connects lazily. `timeoutMs` (default connectTimeoutMs)
   * bounds a connect this call starts; `signal` stops this call's wait (a connect shared
   * with routed messages goes on). Rejects with IoError, TimeoutError or AbortedError
   * (origin transport), InvalidInputError for a malformed URL.
   */
  async connect(url: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TransportConnectionInfo> {
    this.assertRunning();
    parseWsAddress(url);
    const existing = this.table.outgoingTo(url);
    if (existing) return existing.info();
    const { signal } = options;
    if (signal?.aborted) throw new AbortedError('transport', 'connect aborted');
    const dial = this.dials.get(url) ?? this.dial(url, options.timeoutMs ?? this.connectTimeoutMs);
    if (!signal) return (await dial.promise).info();
    return new Promise<TransportConnectionInfo>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError('transport', 'connect aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      dial.promise.then(
        (connection) => { signal.removeEventListener('abort', onAbort); resolve(connection.info()); },
        (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
      );
    });
  }

  /** Snapshots of every open connection. */
  connections(): TransportConnectionInfo[] {
    return this.table.connections();
  }

  /** Worker addresses of the listeners. */
  listeners(): string[] {
    return [...this.listenerAddresses];
  }

  /** A signal that aborts when connection `workerAddress` closes; undefined when no such connection is open. */
  closedSignal(workerAddress: string): AbortSignal | undefined {
    return this.table.closedSignal(workerAddress);
  }

  /** Calls `listener` after a connection closed. Returns an unsubscribe function. */
  onClosed(listener: (info: TransportConnectionInfo) => void): () => void {
    return this.table.onClosed(listener);
  }

  /** Closes listeners, connections and pending connects; removes the router. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.removeStopHook();
    this.node.unregisterRouter(WS, this.router);
    for (const dial of this.dials.values()) dial.controller.abort();
    const waits: Array<Promise<unknown>> = [...this.dials.values()].map((d) => d.promise.catch(() => undefined));
    for (const address of this.listenerAddresses) {
      if (this.node.hasWorker(address)) waits.push(this.node.stopWorker(address).catch(() => undefined));
    }
    waits.push(this.table.closeAll());
    await Promise.all(waits);
    this.listenerAddresses.clear();
  }

  /** Router for WebSocket first hops: send on the open connection, or connect and queue. */
  private readonly router = (message: Message): void => {
    const url = message.onwardRoute[0]!.value;
    // A message from outside gets here only when the node allows forwarding to this hop:
    // let the answers back into the connection it came from.
    if (message.origin !== undefined && message.origin.via !== 'local') this.host.sourceOf(message)?.allowRepliesFrom(url);
    const connection = this.table.outgoingTo(url);
    if (connection) {
      connection.sendMessage(message);
      return;
    }
    if (this.stopping) {
      this.node.reportDropped(message, 'ws transport stopped');
      return;
    }
    let dial = this.dials.get(url);
    if (!dial) {
      try {
        dial = this.dial(url, this.connectTimeoutMs);
      } catch (error) {
        this.node.reportDropped(message, (error as Error).message);
        return;
      }
    }
    const size = message.payload.length;
    if (dial.queuedBytes + size > this.host.writeHighWaterMark) {
      this.stats.writeDropped++;
      this.node.reportDropped(message, `too much queued for ${url} while connecting`);
      return;
    }
    dial.queue.push(message);
    dial.queuedBytes += size;
  };

  private dial(url: string, timeoutMs: number): Dial {
    parseWsAddress(url);
    const controller = new AbortController();
    const queue: Message[] = [];
    const promise = this.openWebSocket(url, controller.signal, timeoutMs).then(
      ({ ws, socket }) => {
        this.dials.delete(url);
        const connection = this.adopt(ws, socket, url, 'outgoing');
        this.table.setOutgoing(connection);
        for (const message of queue.splice(0)) connection.sendMessage(message);
        return connection;
      },
      (error: unknown) => {
        this.dials.delete(url);
        this.stats.connectFailures++;
        this.logger.warn({ remote: url, dropped: queue.length, reason: (error as Error).message }, 'ws connect failed');
        for (const message of queue.splice(0)) this.node.reportDropped(message, `cannot connect to ${url}`);
        throw error;
      },
    );
    promise.catch(() => undefined);
    const dial: Dial = { promise, controller, queue, queuedBytes: 0 };
    this.dials.set(url, dial);
    return dial;
  }

  /** Connects and upgrades one WebSocket; on failure, its socket is closed before the promise rejects. */
  private openWebSocket(url: string, signal: AbortSignal, timeoutMs: number): Promise<{ ws: WebSocket; socket: Socket }> {
    const { secure } = parseWsAddress(url);
    return new Promise((resolve, reject) => {
      let socket: Socket | undefined;
      const connectSocket = (options: ConnectionOptions): Socket => {
        socket = secure ? tlsConnect(options) : netConnect(options as Parameters<typeof netConnect>[0]);
        return socket;
      };
      const clientOptions: ClientOptions = {
        maxPayload: this.host.maxFrameSize,
        perMessageDeflate: false,
        followRedirects: false,
        skipUTF8Validation: true,
        handshakeTimeout: timeoutMs,
        ...(this.ca === undefined ? {} : { ca: this.ca }),
        // ws hands over the options it would give net.connect or tls.connect (host, port, servername, ca).
        createConnection: connectSocket as unknown as ClientOptions['createConnection'],
      };
      const ws = new WebSocket(url, clientOptions);
      let settled = false;
      const cleanup = (): void => {
        settled = true;
        clearTimeout(timer);
        ws.off('open', onOpen);
        ws.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error): void => {
        if (settled) return;
        cleanup();
        ws.on('error', () => undefined);
        if (ws.readyState === WebSocket.CLOSED) reject(error);
        else {
          ws.once('close', () => reject(error));
          ws.terminate();
        }
      };
      const onOpen = (): void => {
        if (settled) return;
        cleanup();
        if (socket === undefined) {
          ws.terminate();
          reject(new IoError('transport', `connect to ${url}: no socket`));
          return;
        }
        resolve({ ws, socket });
      };
      const onError = (error: Error): void => fail(new IoError('transport', `cannot connect to ${url}: ${error.message}`, { cause: error }));
      const onAbort = (): void => fail(new AbortedError('transport', `connect to ${url} aborted`));
      const timer = setTimeout(() => fail(new TimeoutError('transport', `connect to ${url} took longer than ${timeoutMs} ms`)), timeoutMs);
      ws.once('open', onOpen);
      ws.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private accept(ws: WebSocket, socket: Socket, request: IncomingMessage): void {
    if (this.stopping) {
      ws.terminate();
      return;
    }
    const source = socket.remoteAddress ?? 'unknown';
    const share = this.budget.admit(source);
    if (share === undefined) {
      if (this.budget.stats.refusedConnections % 1000 === 1) this.logger.warn({ source, refused: this.budget.stats.refusedConnections }, 'too many ws connections from one source; closing new ones');
      ws.terminate();
      return;
    }
    const remote = formatHostPort(source, socket.remotePort ?? 0);
    const forwardedFor = request.headers['x-forwarded-for'];
    const connection = this.adopt(ws, socket, remote, 'incoming', share);
    if (forwardedFor !== undefined) this.logger.debug({ connection: connection.workerAddress, remote, forwardedFor, path: request.url }, 'ws connection through a proxy');
  }

  /**
   * The source (remote IP address) of a message that arrived on one of this transport's
   * connections (its return route's first hop), else undefined. Behind a reverse proxy,
   * the proxy's address.
   */
  sourceOf(message: Message): string | undefined {
    return this.host.sourceOf(message)?.share.source;
  }

  /** Wraps an open WebSocket in a connection worker. */
  private adopt(ws: WebSocket, socket: Socket, remote: string, direction: 'incoming' | 'outgoing', share?: SourceShare): WsConnection {
    // Random, so a peer cannot name another peer's connection; and closed to messages
    // from outside this node (see ConnectionTable.add).
    const workerAddress = this.node.freshAddress('ws-conn');
    const connection = new WsConnection(this.host, ws, socket, workerAddress, remote, direction, share ?? this.budget.outgoing(socket.remoteAddress ?? remote));
    this.table.add(connection);
    return connection;
  }

  private onConnectionClosed(connection: WsConnection): void {
    this.table.closed(connection);
  }

  private assertRunning(): void {
    if (this.stopping || this.node.isStopped) throw new AbortedError('transport', 'ws transport is stopped');
  }
}

/** `HOST:PORT` of a listen address given as `HOST:PORT` or `ws[s]://HOST:PORT/`. */
function listenHostPort(address: string): string {
  if (!/^wss?:\/\//.test(address)) return address;
  const endpoint = parseWsAddress(address);
  if (endpoint.path !== '/') throw new InvalidInputError('transport', `a ws listener serves every path; give HOST:PORT, got '${address}'`);
  return formatHostPort(endpoint.host, endpoint.port);
}

/** The WebSocket transport as the node runtime lists it (address type 2, `ws://HOST:PORT/PATH`, `wss://...`). */
export const wsTransportKind: TransportKind = {
  name: 'ws',
  addressType: WS,
  create: (node, limits) => new WsTransport(node, limits),
};
