import { connect as netConnect } from 'node:net';
import type { Socket } from 'node:net';
import { AbortedError, InvalidInputError, IoError, TimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import { denyAll } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import { TCP } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { ConnectionTable } from './connection-table.js';
import { formatHostPort, parseHostPort } from './host-port.js';
import { TcpConnection } from './tcp-connection.js';
import type { ConnectionHost, TcpConnectionInfo, TcpTransportStats } from './tcp-connection.js';
import { TcpListener } from './tcp-listener.js';
import type { Transport, TransportKind, TransportLimits } from './transport.js';
import { PeerBudget } from './peer-budget.js';
import type { SourceShare } from './peer-budget.js';

export type { TcpConnectionInfo, TcpTransportStats } from './tcp-connection.js';
export type { PeerBudgetStats } from './peer-budget.js';

/** Options for {@link TcpTransport}. */
export interface TcpTransportOptions extends TransportLimits {
  /** Largest frame body accepted or sent, in bytes. Default 256 KiB. */
  maxFrameSize?: number;
  /** A connection that wrote nothing for this long sends a heartbeat. Default 5 s. */
  heartbeatIntervalMs?: number;
  /** A connection that received nothing for this long is closed. Default 20 s. */
  heartbeatTimeoutMs?: number;
  /** Buffered bytes past which a connection pauses the connections feeding it. Default 1 MiB. */
  writeHighWaterMark?: number;
  /** Buffered bytes past which a connection is closed (its peer does not read). Default 8 x writeHighWaterMark. */
  maxBufferedBytes?: number;
  /** Timeout of a connect started by routing. Default 10 s. */
  connectTimeoutMs?: number;
  /** Accepted connections open at once per listener; further ones are closed on arrival. Default 4096. */
  maxIncomingConnections?: number;
  /** Accepted connections open at once from one source (remote IP address); further ones are closed on arrival. Default 64. */
  maxConnectionsPerSource?: number;
  /**
   * Bytes buffered for writing to the congested connections of one source; past it, a
   * congested connection of that source is closed when written to. Default 16 MiB.
   */
  maxBufferedBytesPerSource?: number;
  /** The same over all connections of the node. Default 64 MiB. */
  maxBufferedBytesTotal?: number;
  /** Bytes of partly received frames held for one source; past it, the connection that wants more is closed. Default 8 MiB. */
  maxPartialFrameBytesPerSource?: number;
  /** The same over all connections of the node. Default 64 MiB. */
  maxPartialFrameBytesTotal?: number;
}

/** Defaults of the per-source and total bounds (see {@link TcpTransportOptions}). */
export const TCP_LIMIT_DEFAULTS = Object.freeze({
  maxIncomingConnections: 4096,
  maxConnectionsPerSource: 64,
  maxBufferedBytesPerSource: 16 * 1024 * 1024,
  maxBufferedBytesTotal: 64 * 1024 * 1024,
  maxPartialFrameBytesPerSource: 8 * 1024 * 1024,
  maxPartialFrameBytesTotal: 64 * 1024 * 1024,
});

interface Dial {
  readonly promise: Promise<TcpConnection>;
  readonly controller: AbortController;
  readonly queue: Message[];
  queuedBytes: number;
}

/**
 * TCP transport: listeners and connections are workers on `node`, and the transport is the
 * node's router for TCP addresses. Sending to a route whose first hop is `tcp(host:port)`
 * connects lazily (concurrent sends share one connect and queue, up to writeHighWaterMark
 * bytes, until it is open), pops the TCP hop and writes one frame.
 *
 * Wire: the connecting side first sends the version byte 1; then both sides send frames of
 * u32 big-endian length + encoded message; an empty frame is a heartbeat.
 *
 * Back-pressure rule: after writing a frame, if the connection's socket holds more than
 * writeHighWaterMark bytes (or its own stream high-water mark, whichever is larger), the
 * connection that message arrived on (the first hop of its return route, when that is one
 * of this transport's connections) stops reading until the congested socket drains. Any
 * message offered while a socket holds more than maxBufferedBytes is dropped and counted;
 * so what one slow peer makes the node buffer is bounded.
 */
export class TcpTransport implements Transport {
  readonly name = 'tcp';
  readonly addressType = TCP;
  readonly stats: TcpTransportStats = {
    framesIn: 0, framesOut: 0, oversized: 0, malformed: 0, heartbeatTimeouts: 0, badVersion: 0, connectFailures: 0, writeDropped: 0,
  };
  /** What peers make this node hold, per source and in total, and the refusals (node.info shows it). */
  readonly budget: PeerBudget;
  private readonly host: ConnectionHost;
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxIncomingConnections: number;
  private readonly table: ConnectionTable<TcpConnection>;
  private readonly dials = new Map<string, Dial>();
  private readonly listenerAddresses = new Set<string>();
  private readonly removeStopHook: () => void;
  private counter = 0;
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly node: Node,
    options: TcpTransportOptions = {},
  ) {
    const writeHighWaterMark = options.writeHighWaterMark ?? 1024 * 1024;
    this.logger = node.logger.child({ transport: 'tcp' });
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
    this.table = new ConnectionTable<TcpConnection>({
      name: 'tcp', addressType: TCP, node, logger: this.logger, stats: this.stats,
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
    node.registerRouter(TCP, this.router);
    this.removeStopHook = node.onStop(() => this.stop());
  }

  /** Listens on `hostPort` (port 0 allowed); resolves with the actual `host:port`. */
  async listen(hostPort: string, options: { signal?: AbortSignal } = {}): Promise<{ address: string }> {
    this.assertRunning();
    const listener = new TcpListener((socket) => this.accept(socket), {
      maxConnections: this.maxIncomingConnections,
      onError: (error) => this.logger.warn({ err: error.message }, 'tcp listener error'),
    });
    const address = await listener.listen(hostPort, options);
    const workerAddress = `tcp-listener-${++this.counter}`;
    try {
      await this.node.startWorker(workerAddress, listener, { incoming: denyAll, outgoing: denyAll });
    } catch (error) {
      await listener.shutdown();
      throw error;
    }
    this.listenerAddresses.add(workerAddress);
    this.logger.info({ address, worker: workerAddress }, 'tcp listener started');
    return { address };
  }

  /**
   * Opens (or reuses) the outgoing connection to `hostPort`; routing also connects lazily.
   * `timeoutMs` (default connectTimeoutMs) bounds a connect this call starts; `signal`
   * stops this call's wait (a connect shared with routed messages goes on).
   * Rejects with IoError, TimeoutError or AbortedError (origin transport).
   */
  async connect(hostPort: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TcpConnectionInfo> {
    this.assertRunning();
    parseHostPort(hostPort, { what: 'tcp address' });
    const existing = this.table.outgoingTo(hostPort);
    if (existing) return existing.info();
    const { signal } = options;
    if (signal?.aborted) throw new AbortedError('transport', 'connect aborted');
    const dial = this.dials.get(hostPort) ?? this.dial(hostPort, options.timeoutMs ?? this.connectTimeoutMs);
    if (!signal) return (await dial.promise).info();
    return new Promise<TcpConnectionInfo>((resolve, reject) => {
      const onAbort = (): void => reject(new AbortedError('transport', 'connect aborted'));
      signal.addEventListener('abort', onAbort, { once: true });
      dial.promise.then(
        (connection) => { signal.removeEventListener('abort', onAbort); resolve(connection.info()); },
        (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
      );
    });
  }

  /** Snapshots of every open connection. */
  connections(): TcpConnectionInfo[] {
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
  onClosed(listener: (info: TcpConnectionInfo) => void): () => void {
    return this.table.onClosed(listener);
  }

  /** Closes listeners, connections and pending connects; removes the router. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.removeStopHook();
    this.node.unregisterRouter(TCP, this.router);
    for (const dial of this.dials.values()) dial.controller.abort();
    const waits: Array<Promise<unknown>> = [...this.dials.values()].map((d) => d.promise.catch(() => undefined));
    for (const address of this.listenerAddresses) {
      if (this.node.hasWorker(address)) waits.push(this.node.stopWorker(address).catch(() => undefined));
    }
    waits.push(this.table.closeAll());
    await Promise.all(waits);
    this.listenerAddresses.clear();
  }

  /** Router for TCP first hops: write on the open connection, or connect and queue. */
  private readonly router = (message: Message): void => {
    const hostPort = message.onwardRoute[0]!.value;
    // A message from outside gets here only when the node allows forwarding to this hop:
    // let the answers back into the connection it came from.
    if (message.origin !== undefined && message.origin.via !== 'local') this.host.sourceOf(message)?.allowRepliesFrom(hostPort);
    const connection = this.table.outgoingTo(hostPort);
    if (connection) {
      connection.sendMessage(message);
      return;
    }
    if (this.stopping) {
      this.node.reportDropped(message, 'tcp transport stopped');
      return;
    }
    let dial = this.dials.get(hostPort);
    if (!dial) {
      try {
        dial = this.dial(hostPort, this.connectTimeoutMs);
      } catch (error) {
        this.node.reportDropped(message, (error as Error).message);
        return;
      }
    }
    const size = message.payload.length;
    if (dial.queuedBytes + size > this.host.writeHighWaterMark) {
      this.stats.writeDropped++;
      this.node.reportDropped(message, `too much queued for ${hostPort} while connecting`);
      return;
    }
    dial.queue.push(message);
    dial.queuedBytes += size;
  };

  private dial(hostPort: string, timeoutMs: number): Dial {
    const { host, port } = parseHostPort(hostPort, { what: 'tcp address' });
    const controller = new AbortController();
    const queue: Message[] = [];
    const promise = this.openSocket(hostPort, host, port, controller.signal, timeoutMs).then(
      (socket) => {
        this.dials.delete(hostPort);
        const connection = this.adopt(socket, hostPort, 'outgoing');
        this.table.setOutgoing(connection);
        for (const message of queue.splice(0)) connection.sendMessage(message);
        return connection;
      },
      (error: unknown) => {
        this.dials.delete(hostPort);
        this.stats.connectFailures++;
        this.logger.warn({ remote: hostPort, dropped: queue.length, reason: (error as Error).message }, 'tcp connect failed');
        for (const message of queue.splice(0)) this.node.reportDropped(message, `cannot connect to ${hostPort}`);
        throw error;
      },
    );
    promise.catch(() => undefined);
    const dial: Dial = { promise, controller, queue, queuedBytes: 0 };
    this.dials.set(hostPort, dial);
    return dial;
  }

  /** Connects one socket; on failure, the socket is closed before the promise rejects. */
  private openSocket(hostPort: string, host: string, port: number, signal: AbortSignal, timeoutMs: number): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true });
      const cleanup = (): void => {
        clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error): void => {
        cleanup();
        socket.on('error', () => undefined);
        if (socket.closed) reject(error);
        else {
          socket.once('close', () => reject(error));
          socket.destroy();
        }
      };
      const onConnect = (): void => {
        cleanup();
        resolve(socket);
      };
      const onError = (error: Error): void => fail(new IoError('transport', `cannot connect to ${hostPort}: ${error.message}`, { cause: error }));
      const onAbort = (): void => fail(new AbortedError('transport', `connect to ${hostPort} aborted`));
      const timer = setTimeout(() => fail(new TimeoutError('transport', `connect to ${hostPort} took longer than ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', onConnect);
      socket.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const source = socket.remoteAddress ?? 'unknown';
    const share = this.budget.admit(source);
    if (share === undefined) {
      if (this.budget.stats.refusedConnections % 1000 === 1) this.logger.warn({ source, refused: this.budget.stats.refusedConnections }, 'too many tcp connections from one source; closing new ones');
      socket.destroy();
      return;
    }
    const remote = formatHostPort(source, socket.remotePort ?? 0);
    this.adopt(socket, remote, 'incoming', share);
  }

  /**
   * The source (remote IP address) of a message that arrived on one of this transport's
   * connections (its return route's first hop), else undefined. For per-source bounds of
   * other parts (e.g. pending handshakes).
   */
  sourceOf(message: Message): string | undefined {
    return this.host.sourceOf(message)?.share.source;
  }

  /** Wraps an open socket in a connection worker. */
  private adopt(socket: Socket, remote: string, direction: 'incoming' | 'outgoing', share?: SourceShare): TcpConnection {
    // Random, so a peer cannot name another peer's connection; and closed to messages
    // from outside this node (see ConnectionTable.add).
    const workerAddress = this.node.freshAddress('tcp-conn');
    const connection = new TcpConnection(this.host, socket, workerAddress, remote, direction, share ?? this.budget.outgoing(socket.remoteAddress ?? remote));
    this.table.add(connection);
    return connection;
  }

  private onConnectionClosed(connection: TcpConnection): void {
    this.table.closed(connection);
  }

  private assertRunning(): void {
    if (this.stopping || this.node.isStopped) throw new AbortedError('transport', 'tcp transport is stopped');
  }
}

/** The TCP transport as the node runtime lists it (address type 1, `host:port`). */
export const tcpTransportKind: TransportKind = {
  name: 'tcp',
  addressType: TCP,
  create: (node, limits) => new TcpTransport(node, limits),
};
