import { randomInt } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import UDX from 'udx-native';
import type { UdxSocket } from 'udx-native';
import { AbortedError, InvalidInputError, IoError, TimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import { denyAll } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import type { Worker } from '../node/worker.js';
import { UDP } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { ConnectionTable } from './connection-table.js';
import { formatHostPort, parseHostPort } from './host-port.js';
import { PeerBudget } from './peer-budget.js';
import type { SourceShare } from './peer-budget.js';
import { TcpConnection } from './tcp-connection.js';
import type { ConnectionHost, TcpTransportStats } from './tcp-connection.js';
import { TCP_LIMIT_DEFAULTS } from './tcp-transport.js';
import type { TcpTransportOptions } from './tcp-transport.js';
import type { Transport, TransportConnectionInfo, TransportKind } from './transport.js';
import { ACCEPT, OPEN, PUNCH, REFUSE, UDP_PAIRING_VERSION, decodePairing, encodePairing } from './udp-pairing.js';
import type { PairingDatagram } from './udp-pairing.js';
import { UdpStreamSocket, createUdpStream } from './udp-stream-socket.js';

/** Options for {@link UdpTransport}: those of the TCP transport, with the same defaults. */
export type UdpTransportOptions = TcpTransportOptions;

/** Counters of the UDP transport: the TCP transport's, plus the pairing step's. */
export interface UdpTransportStats extends TcpTransportStats {
  /** OPEN datagrams refused (listener full, source at its cap, unknown version). */
  refusedConnections: number;
  /** Datagrams on a node socket that were neither a udx packet of an open stream nor a pairing datagram. */
  strayDatagrams: number;
}

/** A bound UDP socket of the transport: a listener's, or the one outgoing connections use when no listener fits. */
interface Endpoint {
  readonly socket: UdxSocket;
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
  /** True for a listener's socket: OPEN from anyone is answered. */
  accepting: boolean;
}

interface Dial {
  readonly promise: Promise<TcpConnection>;
  readonly controller: AbortController;
  readonly queue: Message[];
  queuedBytes: number;
}

interface Pairing {
  readonly host: string;
  readonly port: number;
  accept(responder: number): void;
  refuse(): void;
}

/** First OPEN resend after this long, doubling up to OPEN_RESEND_MAX_MS. */
const OPEN_RESEND_MS = 200;
const OPEN_RESEND_MAX_MS = 1_000;

/**
 * UDP transport on udx (reliable, ordered, congestion-controlled streams over UDP): one UDP
 * socket per listener, one udx stream per connection, carrying exactly the TCP transport's
 * bytes (the version byte, then frames of u32 length + encoded message, empty frames as
 * heartbeats) through the same connection code (TcpConnection over a UdpStreamSocket), so
 * the frame bound, back-pressure, per-source budgets and heartbeats are those of TCP.
 *
 * Before a stream carries bytes, the two sides pair their stream ids with datagrams on the
 * same socket (udp-pairing.ts): the connecting side sends OPEN with its stream id until the
 * listener answers ACCEPT with its own. Outgoing connections leave from a listener socket
 * bound to a wildcard address of the right family when there is one (so a peer sees this
 * node at one address and port), else from one socket per family bound on demand.
 *
 * The transport is the node's router for UDP addresses (`host:port`, type 3): sending to a
 * route whose first UDP hop has no open connection dials lazily, as TCP does.
 */
export class UdpTransport implements Transport {
  readonly name = 'udp';
  readonly addressType = UDP;
  readonly stats: UdpTransportStats = {
    framesIn: 0, framesOut: 0, oversized: 0, malformed: 0, heartbeatTimeouts: 0, badVersion: 0, connectFailures: 0, writeDropped: 0,
    refusedConnections: 0, strayDatagrams: 0,
  };
  /** What peers make this node hold over UDP, per source and in total, and the refusals. */
  readonly budget: PeerBudget;
  private readonly udx = new UDX();
  private readonly host: ConnectionHost;
  private readonly logger: Logger;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly maxIncomingConnections: number;
  private readonly endpoints: Endpoint[] = [];
  private readonly clientEndpoints = new Map<4 | 6, Endpoint>();
  private readonly table: ConnectionTable<TcpConnection>;
  /** Incoming connections by `source host|port|initiator id`, so a repeated OPEN gets the same ACCEPT. */
  private readonly incomingByKey = new Map<string, { connection: TcpConnection; responder: number }>();
  private readonly keyOf = new Map<TcpConnection, string>();
  private readonly dials = new Map<string, Dial>();
  private readonly pairings = new Map<number, Pairing>();
  private readonly listenerAddresses = new Set<string>();
  private readonly removeStopHook: () => void;
  private counter = 0;
  private nextStreamId = randomInt(1, 0x7fffffff);
  private incomingCount = 0;
  /** `host:port` peers whose OPEN a non-listening socket answers (direct paths), until the time given. */
  private readonly expectedPeers = new Map<string, number>();
  private stopping: Promise<void> | null = null;

  constructor(
    private readonly node: Node,
    options: UdpTransportOptions = {},
  ) {
    const writeHighWaterMark = options.writeHighWaterMark ?? 1024 * 1024;
    this.logger = node.logger.child({ transport: 'udp' });
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
      name: 'udp', addressType: UDP, node, logger: this.logger, stats: this.stats,
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
    node.registerRouter(UDP, this.router);
    this.removeStopHook = node.onStop(() => this.stop());
  }

  /** Listens on `hostPort` (an IP address; port 0 allowed); resolves with the actual `host:port`. */
  async listen(hostPort: string, options: { signal?: AbortSignal } = {}): Promise<{ address: string }> {
    this.assertRunning();
    if (options.signal?.aborted) throw new AbortedError('transport', 'listen aborted');
    const { host, port } = parseHostPort(hostPort, { what: 'udp listener address', allowZero: true });
    const family = isIP(host);
    if (family === 0) throw new InvalidInputError('transport', `udp listener address must be an IP address and port, got '${hostPort}'`);
    const endpoint = this.bind(host, port, family as 4 | 6, true);
    const address = formatHostPort(endpoint.host, endpoint.port);
    const workerAddress = `udp-listener-${++this.counter}`;
    // Stopping the listener stops answering OPEN; its socket closes once its connections are gone.
    const close = async (): Promise<void> => {
      endpoint.accepting = false;
      const index = this.endpoints.indexOf(endpoint);
      if (index >= 0) this.endpoints.splice(index, 1);
      const closing = endpoint.socket.close();
      if (endpoint.socket.streams.size === 0) await closing;
    };
    const listener: Worker = { handleMessage: () => undefined, shutdown: close };
    try {
      await this.node.startWorker(workerAddress, listener, { incoming: denyAll, outgoing: denyAll });
    } catch (error) {
      await close();
      throw error;
    }
    this.listenerAddresses.add(workerAddress);
    this.logger.info({ address, worker: workerAddress }, 'udp listener started');
    return { address };
  }

  /**
   * Opens (or reuses) the outgoing connection to `hostPort` (an IP address or DNS name);
   * routing also connects lazily. `timeoutMs` (default connectTimeoutMs) bounds a connect
   * this call starts; `signal` stops this call's wait. Rejects with IoError (refused),
   * TimeoutError (no answer) or AbortedError (origin transport).
   */
  async connect(hostPort: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<TransportConnectionInfo> {
    this.assertRunning();
    parseHostPort(hostPort, { what: 'udp address' });
    const existing = this.table.outgoingTo(hostPort);
    if (existing) return existing.info();
    const { signal } = options;
    if (signal?.aborted) throw new AbortedError('transport', 'connect aborted');
    const dial = this.dials.get(hostPort) ?? this.dial(hostPort, options.timeoutMs ?? this.connectTimeoutMs);
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

  /**
   * Opens this node's NAT toward `host:port` for a direct path: for `durationMs`, sends a
   * PUNCH datagram every `intervalMs` from the socket outgoing connections leave from, and
   * answers OPEN from exactly that address on it (even without a listener). Resolves when
   * the time is over, at once when `signal` aborts.
   */
  async punch(hostPort: string, { durationMs = 10_000, intervalMs = 250, signal }: { durationMs?: number; intervalMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.assertRunning();
    const { host, port } = parseHostPort(hostPort, { what: 'udp address' });
    const family = isIP(host);
    if (family === 0) throw new InvalidInputError('transport', `a udp punch needs an IP address, got '${hostPort}'`);
    const endpoint = this.outgoingEndpoint(family as 4 | 6);
    const key = formatHostPort(host, port);
    const until = Date.now() + durationMs;
    this.expectedPeers.set(key, Math.max(until, this.expectedPeers.get(key) ?? 0));
    const datagram = encodePairing(PUNCH, randomInt(1, 0x7fffffff));
    while (Date.now() < until && !signal?.aborted && !this.stopping && !endpoint.socket.closing) {
      endpoint.socket.trySend(datagram, port, host);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, intervalMs);
        function done(): void {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        }
        signal?.addEventListener('abort', done, { once: true });
      });
    }
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

  /** The source (remote IP address) of a message that arrived on one of this transport's connections, else undefined. */
  sourceOf(message: Message): string | undefined {
    return this.host.sourceOf(message)?.share.source;
  }

  /** Closes listeners, connections, pending connects and sockets; removes the router. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    this.removeStopHook();
    this.node.unregisterRouter(UDP, this.router);
    const sockets = [...this.endpoints, ...this.clientEndpoints.values()].map((e) => e.socket);
    for (const dial of this.dials.values()) dial.controller.abort();
    const waits: Array<Promise<unknown>> = [...this.dials.values()].map((d) => d.promise.catch(() => undefined));
    for (const address of this.listenerAddresses) {
      if (this.node.hasWorker(address)) waits.push(this.node.stopWorker(address).catch(() => undefined));
    }
    waits.push(this.table.closeAll());
    await Promise.all(waits);
    this.listenerAddresses.clear();
    this.endpoints.length = 0;
    this.clientEndpoints.clear();
    for (const socket of sockets) for (const stream of [...socket.streams]) stream.destroy();
    await Promise.all(sockets.map((s) => s.close()));
  }

  /** Router for UDP first hops: write on the open connection, or connect and queue. */
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
      this.node.reportDropped(message, 'udp transport stopped');
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
    const { host, port } = parseHostPort(hostPort, { what: 'udp address' });
    const controller = new AbortController();
    const queue: Message[] = [];
    const promise = this.openStream(hostPort, host, port, controller.signal, timeoutMs).then(
      ({ socket, ip }) => {
        this.dials.delete(hostPort);
        const connection = this.adopt(socket, hostPort, 'outgoing', this.budget.outgoing(ip));
        this.table.setOutgoing(connection);
        for (const message of queue.splice(0)) connection.sendMessage(message);
        return connection;
      },
      (error: unknown) => {
        this.dials.delete(hostPort);
        this.stats.connectFailures++;
        this.logger.warn({ remote: hostPort, dropped: queue.length, reason: (error as Error).message }, 'udp connect failed');
        for (const message of queue.splice(0)) this.node.reportDropped(message, `cannot connect to ${hostPort}`);
        throw error;
      },
    );
    promise.catch(() => undefined);
    const dial: Dial = { promise, controller, queue, queuedBytes: 0 };
    this.dials.set(hostPort, dial);
    return dial;
  }

  /** Resolves the host, pairs a stream with the listener at `host:port` (OPEN until ACCEPT) and connects it. */
  private async openStream(hostPort: string, host: string, port: number, signal: AbortSignal, timeoutMs: number): Promise<{ socket: UdpStreamSocket; ip: string }> {
    const deadline = Date.now() + timeoutMs;
    let ip = host;
    if (isIP(host) === 0) {
      try {
        ip = (await lookup(host)).address;
      } catch (error) {
        throw new IoError('transport', `cannot connect to ${hostPort}: ${(error as Error).message}`, { cause: error });
      }
    }
    if (signal.aborted) throw new AbortedError('transport', `connect to ${hostPort} aborted`);
    const endpoint = this.outgoingEndpoint(isIP(ip) as 4 | 6);
    const id = this.allocateStreamId();
    const stream = createUdpStream(this.udx, id);
    stream.on('error', () => undefined);
    return new Promise((resolve, reject) => {
      let resend = OPEN_RESEND_MS;
      let resendTimer: NodeJS.Timeout | undefined;
      const open = encodePairing(OPEN, id);
      const sendOpen = (): void => {
        if (!endpoint.socket.closing) endpoint.socket.trySend(open, port, ip);
        resendTimer = setTimeout(sendOpen, resend);
        resend = Math.min(OPEN_RESEND_MAX_MS, resend * 2);
      };
      const cleanup = (): void => {
        this.pairings.delete(id);
        clearTimeout(resendTimer);
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      const fail = (error: Error): void => {
        cleanup();
        stream.destroy();
        reject(error);
      };
      const onAbort = (): void => fail(new AbortedError('transport', `connect to ${hostPort} aborted`));
      const timer = setTimeout(() => fail(new TimeoutError('transport', `connect to ${hostPort}: no answer to the udp pairing within ${timeoutMs} ms`)), Math.max(1, deadline - Date.now()));
      this.pairings.set(id, {
        host: ip,
        port,
        accept: (responder) => {
          cleanup();
          if (endpoint.socket.closing || this.stopping) {
            fail(new AbortedError('transport', 'udp transport is stopped'));
            return;
          }
          stream.connect(endpoint.socket, responder, port, ip);
          resolve({ socket: new UdpStreamSocket(stream), ip });
        },
        refuse: () => fail(new IoError('transport', `cannot connect to ${hostPort}: the listener refused the connection`)),
      });
      signal.addEventListener('abort', onAbort, { once: true });
      sendOpen();
    });
  }

  /** The socket outgoing connections to `family` leave from: a wildcard listener's, else the family's client socket. */
  private outgoingEndpoint(family: 4 | 6): Endpoint {
    const wildcard = family === 4 ? '0.0.0.0' : '::';
    const listener = this.endpoints.find((e) => e.accepting && e.family === family && e.host === wildcard && !e.socket.closing);
    if (listener) return listener;
    let client = this.clientEndpoints.get(family);
    if (!client) {
      client = this.bind(wildcard, 0, family, false);
      this.clientEndpoints.set(family, client);
    }
    return client;
  }

  private bind(host: string, port: number, family: 4 | 6, accepting: boolean): Endpoint {
    const socket = this.udx.createSocket(family === 6 ? { ipv6Only: true } : {});
    try {
      socket.bind(port, host);
    } catch (error) {
      throw new IoError('transport', `cannot listen on udp ${formatHostPort(host, port)}: ${(error as Error).message}`, { cause: error });
    }
    const bound = socket.address()!;
    const endpoint: Endpoint = { socket, host: bound.host, port: bound.port, family, accepting };
    socket.on('message', (datagram, from) => this.onDatagram(endpoint, datagram, from));
    if (accepting) this.endpoints.push(endpoint);
    return endpoint;
  }

  private onDatagram(endpoint: Endpoint, datagram: Buffer, from: { host: string; port: number }): void {
    const pairing = decodePairing(datagram);
    if (pairing === undefined) {
      // Late packets of closed streams land here too.
      this.stats.strayDatagrams++;
      return;
    }
    if (pairing.kind === OPEN) this.onOpen(endpoint, pairing, from);
    else if (pairing.kind === PUNCH) return;
    else {
      const pending = this.pairings.get(pairing.initiator);
      if (pending === undefined || pending.host !== from.host || pending.port !== from.port) return;
      if (pairing.kind === ACCEPT && pairing.version === UDP_PAIRING_VERSION) pending.accept(pairing.responder);
      else if (pairing.kind === REFUSE) pending.refuse();
    }
  }

  private onOpen(endpoint: Endpoint, open: PairingDatagram, from: { host: string; port: number }): void {
    if (this.stopping || (!endpoint.accepting && !this.expected(from))) return;
    const refuse = (): void => endpoint.socket.trySend(encodePairing(REFUSE, open.initiator), from.port, from.host);
    if (open.version !== UDP_PAIRING_VERSION) {
      this.stats.badVersion++;
      refuse();
      return;
    }
    const key = `${from.host}|${from.port}|${open.initiator}`;
    const known = this.incomingByKey.get(key);
    if (known) {
      endpoint.socket.trySend(encodePairing(ACCEPT, open.initiator, known.responder), from.port, from.host);
      return;
    }
    if (this.incomingCount >= this.maxIncomingConnections) {
      if (this.stats.refusedConnections++ % 1000 === 0) this.logger.warn({ refused: this.stats.refusedConnections }, 'udp listener full; refusing new connections');
      refuse();
      return;
    }
    const share = this.budget.admit(from.host);
    if (share === undefined) {
      this.stats.refusedConnections++;
      if (this.budget.stats.refusedConnections % 1000 === 1) this.logger.warn({ source: from.host, refused: this.budget.stats.refusedConnections }, 'too many udp connections from one source; refusing new ones');
      refuse();
      return;
    }
    const responder = this.allocateStreamId();
    const stream = createUdpStream(this.udx, responder);
    stream.on('error', () => undefined);
    try {
      stream.connect(endpoint.socket, open.initiator, from.port, from.host);
    } catch (error) {
      this.budget.leave(share);
      stream.destroy();
      this.logger.debug({ remote: from, err: (error as Error).message }, 'cannot open udp stream');
      return;
    }
    endpoint.socket.trySend(encodePairing(ACCEPT, open.initiator, responder), from.port, from.host);
    this.incomingCount++;
    const connection = this.adopt(new UdpStreamSocket(stream), formatHostPort(from.host, from.port), 'incoming', share);
    this.incomingByKey.set(key, { connection, responder });
    this.keyOf.set(connection, key);
  }

  /** True while `from` is a peer this node punches toward (see punch). */
  private expected(from: { host: string; port: number }): boolean {
    const key = formatHostPort(from.host, from.port);
    const until = this.expectedPeers.get(key);
    if (until === undefined) return false;
    if (until >= Date.now()) return true;
    this.expectedPeers.delete(key);
    return false;
  }

  private allocateStreamId(): number {
    const id = this.nextStreamId;
    this.nextStreamId = id >= 0xfffffffe ? 1 : id + 1;
    return id;
  }

  /** Wraps a paired stream in a connection worker. */
  private adopt(socket: UdpStreamSocket, remote: string, direction: 'incoming' | 'outgoing', share: SourceShare): TcpConnection {
    // Bytes a paused connection keeps receiving (udx has no receive window) count as held in part.
    let held = 0;
    socket.onHeld = (bytes) => {
      const delta = bytes - held;
      held = bytes;
      if (this.budget.partial(share, delta)) return true;
      this.budget.stats.closedForPartialFrames++;
      this.logger.warn({ remote }, 'udp peer sent too much while its connection was paused; closing');
      return false;
    };
    // Random, so a peer cannot name another peer's connection; closed to messages from outside (ConnectionTable.add).
    const workerAddress = this.node.freshAddress('udp-conn');
    const connection = new TcpConnection(this.host, socket, workerAddress, remote, direction, share);
    this.table.add(connection);
    return connection;
  }

  private onConnectionClosed(connection: TcpConnection): void {
    const key = this.keyOf.get(connection);
    if (key !== undefined) {
      this.keyOf.delete(connection);
      this.incomingByKey.delete(key);
      this.incomingCount--;
    }
    this.table.closed(connection);
  }

  private assertRunning(): void {
    if (this.stopping || this.node.isStopped) throw new AbortedError('transport', 'udp transport is stopped');
  }
}

/** The UDP transport as the node runtime lists it (address type 3, `host:port`). */
export const udpTransportKind: TransportKind = {
  name: 'udp',
  addressType: UDP,
  create: (node, limits) => new UdpTransport(node, limits),
};
