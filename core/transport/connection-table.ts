import type { Logger } from '../logger.js';
import { allowAll } from '../node/access-control.js';
import type { AccessControl } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import type { Worker } from '../node/worker.js';
import { LOCAL } from '../routing/address.js';
import type { AddressType } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import type { TransportConnectionInfo } from './transport.js';

/** What a {@link ConnectionTable} needs of a connection (TcpConnection and WsConnection have it). */
export interface TableConnection extends Worker {
  /** Its worker address on the node (random: a peer cannot name another peer's connection). */
  readonly workerAddress: string;
  /** The peer, in the transport's own address form. */
  readonly remote: string;
  readonly direction: 'incoming' | 'outgoing';
  /** Set by the connection when it read or wrote something; the table's timer clears them. */
  readActivity: boolean;
  writeActivity: boolean;
  /** Milliseconds since the epoch, kept by the table's timer. */
  lastReadAt: number;
  lastWriteAt: number;
  /** Writes one heartbeat (an empty frame). */
  sendHeartbeat(): void;
  /** Closes the connection; it then reports itself closed to the table ({@link ConnectionTable.closed}). */
  close(): void;
  /** Closes the connection and resolves once it is closed. */
  shutdown(): Promise<void>;
  /** A signal that aborts when the connection closes. */
  closedSignal(): AbortSignal;
  /** True when traffic that arrived on this node was forwarded to `remote` over this connection. */
  forwardedTo(remote: string): boolean;
  /** A snapshot for `connections()` and the closed listeners. */
  info(): TransportConnectionInfo;
}

/** Options for {@link ConnectionTable}. */
export interface ConnectionTableOptions {
  /** The transport's short name, for log lines (`tcp`). */
  readonly name: string;
  /** The transport's route address type, for the forwarding rule (node.mayForwardTo). */
  readonly addressType: AddressType;
  readonly node: Node;
  readonly logger: Logger;
  /** A connection that wrote nothing for this long sends a heartbeat. */
  readonly heartbeatIntervalMs: number;
  /** A connection that received nothing for this long is closed. */
  readonly heartbeatTimeoutMs: number;
  /** The transport's counters; the table counts heartbeat timeouts there. */
  readonly stats: { heartbeatTimeouts: number };
}

/**
 * The open connections of one transport, each a worker on the node: by worker address,
 * and the outgoing ones by the remote address they were dialed at (at most one each).
 * The table registers a connection's worker with the transports' access rule (see
 * {@link ConnectionTable.add}), runs one shared timer for all connections while any is
 * open (heartbeats out after heartbeatIntervalMs of silence, peers silent past
 * heartbeatTimeoutMs closed; the period is the smaller of the interval and half the
 * timeout), and, when a connection reports itself closed, forgets it, stops its worker
 * and tells every `onClosed` listener. The transport keeps listening, dialing and
 * routing; the table knows nothing of sockets.
 */
export class ConnectionTable<C extends TableConnection> {
  private readonly byAddress = new Map<string, C>();
  private readonly outgoing = new Map<string, C>();
  private readonly closedListeners = new Set<(info: TransportConnectionInfo) => void>();
  private readonly period: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly options: ConnectionTableOptions) {
    this.period = Math.max(1, Math.min(options.heartbeatIntervalMs, Math.floor(options.heartbeatTimeoutMs / 2)));
  }

  /** Open connections. */
  get size(): number {
    return this.byAddress.size;
  }

  /** The open connection at `workerAddress`, if any. */
  get(workerAddress: string): C | undefined {
    return this.byAddress.get(workerAddress);
  }

  /** The open outgoing connection dialed at `remote`, if any. */
  outgoingTo(remote: string): C | undefined {
    return this.outgoing.get(remote);
  }

  /** Records `connection` (already added) as the outgoing connection to its `remote`. */
  setOutgoing(connection: C): void {
    this.outgoing.set(connection.remote, connection);
  }

  /**
   * The connection a routed message came in on: its return route's first hop, when that
   * is one of this table's connections. One map lookup (called per message).
   */
  readonly sourceOf = (message: Message): C | undefined => {
    const first = message.returnRoute[0];
    return first !== undefined && first.type === LOCAL ? this.byAddress.get(first.value) : undefined;
  };

  /**
   * Adds an open connection: registers its worker (incoming access: see connectionAccess;
   * outgoing: anything) and starts the shared timer. The connection has no initialize step
   * and its address is fresh, so the worker is registered before this returns; should the
   * registration fail anyway, the connection is closed.
   */
  add(connection: C): void {
    const { node, logger, name } = this.options;
    this.byAddress.set(connection.workerAddress, connection);
    node.startWorker(connection.workerAddress, connection, { incoming: this.connectionAccess(connection), outgoing: allowAll }).catch((error: unknown) => {
      logger.warn({ connection: connection.workerAddress, err: error }, `cannot register ${name} connection`);
      connection.close();
    });
    this.startTimer();
    logger.debug({ connection: connection.workerAddress, remote: connection.remote, direction: connection.direction }, `${name} connection open`);
  }

  /**
   * Called by a connection once it closed: forgets it, stops its worker (and the timer
   * when it was the last), then calls every `onClosed` listener with its final snapshot.
   * A listener that throws is logged; the others still run.
   */
  closed(connection: C): void {
    const { node, logger, name } = this.options;
    this.byAddress.delete(connection.workerAddress);
    if (this.outgoing.get(connection.remote) === connection) this.outgoing.delete(connection.remote);
    if (node.hasWorker(connection.workerAddress)) node.stopWorker(connection.workerAddress).catch(() => undefined);
    if (this.byAddress.size === 0) this.stopTimer();
    logger.debug({ connection: connection.workerAddress, remote: connection.remote }, `${name} connection closed`);
    if (this.closedListeners.size === 0) return;
    const info = connection.info();
    for (const listener of this.closedListeners) {
      try {
        listener(info);
      } catch (error) {
        logger.error({ err: error }, `${name} onClosed listener failed`);
      }
    }
  }

  /** Calls `listener` after a connection closed. Returns an unsubscribe function. */
  onClosed(listener: (info: TransportConnectionInfo) => void): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /** Snapshots of every open connection. */
  connections(): TransportConnectionInfo[] {
    return [...this.byAddress.values()].map((c) => c.info());
  }

  /** A signal that aborts when connection `workerAddress` closes; undefined when no such connection is open. */
  closedSignal(workerAddress: string): AbortSignal | undefined {
    return this.byAddress.get(workerAddress)?.closedSignal();
  }

  /**
   * Stops every connection's worker and closes every connection; resolves when all are
   * closed, with the timer stopped. Errors of single connections are ignored (they are
   * closed either way).
   */
  async closeAll(): Promise<void> {
    const { node } = this.options;
    const waits: Array<Promise<unknown>> = [];
    for (const address of this.byAddress.keys()) {
      if (node.hasWorker(address)) waits.push(node.stopWorker(address).catch(() => undefined));
    }
    for (const connection of this.byAddress.values()) waits.push(connection.shutdown());
    await Promise.all(waits);
    this.stopTimer();
  }

  /**
   * The incoming access control of a connection worker: messages that originate in this
   * node; from outside only when the node allows forwarding to the connection's peer
   * (allowForwardingTo), or a reply over a connection to which this one's traffic was so
   * forwarded. Nothing else ever reaches a connection from outside.
   */
  private connectionAccess(connection: C): AccessControl {
    // An outgoing connection to an allowed destination may be named as well as its address.
    const forwardable = connection.direction === 'outgoing' && this.options.node.mayForwardTo({ type: this.options.addressType, value: connection.remote });
    return {
      isAuthorized: ({ message }) => {
        const origin = message.origin;
        if (origin === undefined || origin.via === 'local' || forwardable) return true;
        const from = this.sourceOf(message);
        return from !== undefined && connection.forwardedTo(from.remote);
      },
    };
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(this.tick, this.period);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass of the shared timer: heartbeats out, silent peers closed. */
  private readonly tick = (): void => {
    const { heartbeatIntervalMs, heartbeatTimeoutMs, stats, logger, name } = this.options;
    const now = Date.now();
    for (const connection of this.byAddress.values()) {
      if (connection.readActivity) {
        connection.readActivity = false;
        connection.lastReadAt = now;
      } else if (now - connection.lastReadAt > heartbeatTimeoutMs) {
        stats.heartbeatTimeouts++;
        logger.info({ connection: connection.workerAddress, remote: connection.remote }, `${name} peer silent past the heartbeat timeout; closing`);
        connection.close();
        continue;
      }
      if (connection.writeActivity) {
        connection.writeActivity = false;
        connection.lastWriteAt = now;
      } else if (now - connection.lastWriteAt >= heartbeatIntervalMs) {
        connection.sendHeartbeat();
        connection.writeActivity = false;
        connection.lastWriteAt = now;
      }
    }
  };
}
