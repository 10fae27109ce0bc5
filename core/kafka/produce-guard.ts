import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { MessageOrigin, PeerInfo } from '../routing/message.js';
import type { HostPort } from '../transport/host-port.js';
import { ProduceGuardConnection, type ProduceGuardCounters } from './produce-guard-connection.js';

/** Options of {@link ProduceGuard}. */
export interface ProduceGuardOptions {
  /**
   * Whether `peer` may produce to `topic` (a `kafka-produce` decision, recorded on denial).
   * `peer` is undefined for a session that did not come through a secure channel from
   * another node; sessions of this node's own (local) pings are not asked about.
   */
  readonly authorize: (peer: PeerInfo | undefined, topic: string) => boolean;
  /** Largest request frame checked, in bytes (64 MiB unless given). */
  readonly maxFrameBytes?: number;
  /** How long an accepted loopback connection may wait for its session, in ms (default 10 000). */
  readonly pairTimeoutMs?: number;
  readonly logger: Logger;
  /** A connection was closed or a request refused (the outlet's `lastError`). */
  readonly problem: (why: string) => void;
}

interface Expected { readonly target: HostPort; readonly origin: MessageOrigin | undefined }

/** Most loopback connections waiting for their session at once (more are closed). */
const MAX_WAITING = 1024;

/**
 * The Produce check of a Kafka outlet. Each portal session of the outlet connects, through
 * {@link connect}, to a loopback listener of the guard instead of the broker; the guard
 * pairs the accepted connection with the session's origin (by the client socket's local
 * address and port, which the session registers once connected), connects to the broker, and runs a
 * {@link ProduceGuardConnection} between them with the session peer's decisions. A loopback
 * connection that no session registered (another local process) is never forwarded and is
 * closed after `pairTimeoutMs`.
 */
export class ProduceGuard {
  readonly counters: ProduceGuardCounters = { refusedPartitions: 0, refusedRequests: 0, malformed: 0 };
  private server: Server | undefined;
  private port = 0;
  /** By the session socket's local `ADDRESS:PORT` (the accepted socket's remote one). */
  private readonly expected = new Map<string, Expected>();
  private readonly waiting = new Map<string, Socket>();
  private readonly live = new Set<ProduceGuardConnection>();

  constructor(private readonly options: ProduceGuardOptions) {}

  /** Starts the loopback listener. */
  async start(): Promise<void> {
    const server = createServer({ allowHalfOpen: false, pauseOnConnect: true }, (socket) => this.accepted(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => this.options.logger.warn({ err: error.message }, 'kafka outlet produce check listener error'));
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }

  /** Closes the listener and every connection. */
  async stop(): Promise<void> {
    for (const c of this.live) c.close();
    this.live.clear();
    for (const s of this.waiting.values()) s.destroy();
    this.waiting.clear();
    this.expected.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A session's connection to `target` (use as TcpOutletOptions.connect). */
  readonly connect = (target: HostPort, origin: MessageOrigin | undefined): Socket => {
    const socket = connect({ host: '127.0.0.1', port: this.port, allowHalfOpen: true });
    socket.once('connect', () => {
      if (socket.localPort === undefined) return;
      const key = `${socket.localAddress}:${socket.localPort}`;
      const early = this.waiting.get(key);
      if (early !== undefined) {
        this.waiting.delete(key);
        this.pair(early, { target, origin });
      } else {
        this.expected.set(key, { target, origin });
        socket.once('close', () => this.expected.delete(key));
      }
    });
    return socket;
  };

  private accepted(socket: Socket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    if (socket.remotePort === undefined || this.server === undefined) {
      socket.destroy();
      return;
    }
    const expected = this.expected.get(key);
    if (expected !== undefined) {
      this.expected.delete(key);
      this.pair(socket, expected);
      return;
    }
    if (this.waiting.size >= MAX_WAITING) {
      socket.destroy();
      return;
    }
    this.waiting.set(key, socket);
    const timer = setTimeout(() => {
      if (this.waiting.get(key) === socket) this.waiting.delete(key);
      socket.destroy();
    }, this.options.pairTimeoutMs ?? 10_000);
    timer.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      if (this.waiting.get(key) === socket) this.waiting.delete(key);
    });
  }

  private pair(client: Socket, { target, origin }: Expected): void {
    if (this.server === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    upstream.setNoDelay(true);
    client.setNoDelay(true);
    const local = origin === undefined || origin.via === 'local';
    const peer = origin?.via === 'channel' ? origin.peer : undefined;
    const connection = new ProduceGuardConnection({
      maxFrameBytes: this.options.maxFrameBytes ?? 64 * 1024 * 1024,
      logger: this.options.logger,
      counters: this.counters,
      allowed: local ? () => true : (topic) => this.options.authorize(peer, topic),
      problem: this.options.problem,
    }, client, upstream);
    this.live.add(connection);
    upstream.once('error', (error) => this.options.problem(`cannot reach the broker ${target.host}:${target.port}: ${error.message}`));
    const forget = (): void => { this.live.delete(connection); };
    client.once('close', forget);
    upstream.once('close', forget);
    client.resume();
  }
}
