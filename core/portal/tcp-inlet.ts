import { setMaxListeners } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Node } from '../node/node.js';
import type { Logger } from '../logger.js';
import type { PeerInfo, Route } from '../routing/message.js';
import { LOCAL } from '../routing/address.js';
import { SecureChannelRegistry } from '../channel/secure-channel-registry.js';
import type { SecureChannel } from '../channel/secure-channel.js';
import { AbortedError, IoError } from '../errors.js';
import { DEFAULT_CREDIT_WINDOW, DisconnectReason, MAX_CREDIT_WINDOW } from './portal-message.js';
import { newPortalCounters } from './portal-counters.js';
import type { PortalCounters } from './portal-counters.js';
import { InletSession } from './inlet-session.js';
import type { InletSessionHost } from './inlet-session.js';
import { PeerLock } from './peer-lock.js';
import { formatHostPort, parseHostPort } from '../transport/host-port.js';
import { DEFAULT_LIVENESS_TIMEOUT_MS, nonNegative, positive, stopQuietly } from './session-support.js';
import { acquirePathBudget, releasePathBudget } from './path-budget.js';
import { windowPoolOf } from './window-pool.js';
import { SessionTicker } from './session-ticker.js';
import { LastError } from '../last-error.js';
import type { LastErrorState } from '../last-error.js';

/**
 * A route to the outlet with a signal that aborts once the route is dead (e.g. the secure
 * channel it runs through closed): every session on it then ends at once.
 */
export interface OutletRoute {
  readonly route: Route;
  readonly closed?: AbortSignal;
}

/**
 * Supplies the route to the outlet for a new session (e.g. re-creating a channel after a
 * failure), optionally with the signal that tells when that route died.
 */
export type OutletRouteProvider = (options: { signal: AbortSignal }) => Route | OutletRoute | Promise<Route | OutletRoute>;

/** Options for {@link TcpInlet}. */
export interface TcpInletOptions {
  /** Where to listen, `HOST:PORT` (port 0 picks a free port). */
  readonly listen: string;
  /**
   * The outlet's route (ending at its listener address), or a function returning a fresh one
   * per session. A session ends when its route's `closed` signal aborts, or, without one,
   * when the secure channel the route starts with (a local encryptor address) closes.
   */
  readonly outlet: Route | OutletRouteProvider;
  /** The inlet's policy on the outlet side's identity (the pong's `origin.peer`). */
  readonly authorizeOutlet: (peer: PeerInfo | undefined) => boolean | Promise<boolean>;
  /** How long to wait for the outlet's pong, in ms (default 10 000). */
  readonly pongTimeoutMs?: number;
  /** Credit window per session and direction, in bytes (default 512 KiB). */
  readonly window?: number;
  /** Most concurrent sessions; further client connections are closed (default 10 000). */
  readonly maxSessions?: number;
  /**
   * An open session that is owed progress (data sent and not confirmed, or waiting for
   * credit) and hears nothing for a third of this probes the outlet; without an answer by
   * the end of it the session is aborted (default 15 000 ms). See docs/portals.md.
   */
  readonly livenessTimeoutMs?: number;
  /** A session that moves no data either way for this long is aborted (default 0: never). */
  readonly idleTimeoutMs?: number;
  readonly logger?: Logger;
}

/**
 * What `status()` reports. `lastError`: why the last session failed to open or was aborted
 * (local detail), with `lastErrorAt`; `recoveredAt` once a session opened after it.
 */
export interface TcpInletStatus extends Readonly<PortalCounters>, LastErrorState {
  /** The address listened on (actual port once started). */
  readonly listen: string;
  readonly running: boolean;
  /** True when the last session opened (a pong was accepted); false after a failure or before any session. */
  readonly connected: boolean;
  /** When `connected` last changed (ms since the epoch). */
  readonly since: number;
  /** Sessions currently open or opening. */
  readonly sessions: number;
}

/**
 * A TCP inlet: listens on a local port and turns each accepted connection into a portal
 * session to the outlet. Many sessions share one route (and so one secure channel).
 * See docs/portals.md.
 */
export class TcpInlet {
  private readonly node: Node;
  private readonly options: TcpInletOptions;
  private readonly sessions = new Map<string, InletSession>();
  private readonly counters = newPortalCounters();
  private readonly host: InletSessionHost;
  private readonly maxSessions: number;
  private readonly stopping = new AbortController();
  private readonly channelSignals = new WeakMap<SecureChannel, AbortSignal>();
  private readonly ticker: SessionTicker;
  private server: Server | undefined;
  private listenAddress: string;
  private connected = false;
  private readonly lastError = new LastError();
  private since = Date.now();

  constructor(node: Node, options: TcpInletOptions) {
    this.node = node;
    this.options = options;
    parseHostPort(options.listen, { what: 'inlet address', allowZero: true, origin: 'portal' });
    this.listenAddress = options.listen;
    this.maxSessions = positive(options.maxSessions ?? 10_000, 'maxSessions', Number.MAX_SAFE_INTEGER);
    this.host = {
      window: positive(options.window ?? DEFAULT_CREDIT_WINDOW, 'window', MAX_CREDIT_WINDOW),
      pongTimeoutMs: positive(options.pongTimeoutMs ?? 10_000, 'pongTimeoutMs', 3_600_000),
      counters: this.counters,
      logger: (options.logger ?? node.logger).child({ inlet: options.listen }),
      authorizeOutlet: options.authorizeOutlet,
      timeouts: {
        livenessTimeoutMs: positive(options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS, 'livenessTimeoutMs', 86_400_000),
        idleTimeoutMs: nonNegative(options.idleTimeoutMs ?? 0, 'idleTimeoutMs'),
      },
      budgetFor: (route) => acquirePathBudget(node, route),
      budgetDone: (budget) => releasePathBudget(node, budget),
      windowPool: windowPoolOf(node),
      opened: (outcome) => this.setConnected(outcome),
      aborted: (why, pathFailed) => {
        if (pathFailed) this.setConnected(`session aborted: ${why}`);
        else this.lastError.fail(`session aborted: ${why}`);
      },
      ended: (session) => this.sessionEnded(session),
    };
    this.ticker = new SessionTicker(this.host.timeouts, () => this.sessions.values());
  }

  /** Starts listening; resolves with the actual `HOST:PORT`. Throws IoError if the port is taken. */
  async start(options: { signal?: AbortSignal } = {}): Promise<{ address: string }> {
    if (options.signal?.aborted) throw new AbortedError('portal');
    const { host, port } = parseHostPort(this.options.listen, { what: 'inlet address', allowZero: true, origin: 'portal' });
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) => this.onConnection(socket));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(new IoError('portal', `inlet cannot listen on ${this.options.listen}: ${error.message}`, { cause: error }));
      server.once('error', onError);
      server.listen({ host, port }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (error) => this.host.logger.warn({ err: error.message }, 'inlet listener error'));
    this.server = server;
    this.ticker.start();
    const bound = server.address() as AddressInfo;
    this.listenAddress = formatHostPort(bound.address, bound.port);
    return { address: this.listenAddress };
  }

  /** Stops listening and aborts every session (the outlets are told). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.ticker.stop();
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const session of [...this.sessions.values()]) session.abort(DisconnectReason.shutdown);
    await Promise.all([...this.sessions.keys()].map((a) => stopQuietly(this.node, a)));
    this.sessions.clear();
    await closed;
  }

  /** Connection state and counters. */
  status(): TcpInletStatus {
    return {
      ...this.counters,
      listen: this.listenAddress,
      running: this.server !== undefined,
      connected: this.connected,
      ...this.lastError.state(),
      since: this.since,
      sessions: this.sessions.size,
    };
  }

  /** Bytes held in memory across all sessions (socket buffers and unsent reads). */
  bufferedBytes(): number {
    let total = 0;
    for (const s of this.sessions.values()) total += s.bufferedBytes;
    return total;
  }

  private onConnection(socket: Socket): void {
    if (this.stopping.signal.aborted || this.sessions.size >= this.maxSessions) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const address = this.node.freshAddress('inlet_session');
    const lock = new PeerLock();
    const session = new InletSession(this.host, address, socket, lock);
    this.sessions.set(address, session);
    session.begin();
    this.openSession(session, lock).catch((error: unknown) => {
      session.fail(`cannot reach the outlet: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async openSession(session: InletSession, lock: PeerLock): Promise<void> {
    await this.node.startWorker(session.address, session, { incoming: lock });
    if (session.isClosed) {
      // Gave up (timeout, shutdown) while the worker was starting.
      await stopQuietly(this.node, session.address);
      return;
    }
    const outlet = this.options.outlet;
    const given = typeof outlet === 'function' ? await outlet({ signal: this.stopping.signal }) : outlet;
    const { route, closed } = Array.isArray(given) ? { route: given as Route, closed: undefined } : given as OutletRoute;
    const routeClosed = closed ?? this.channelClosedSignal(route);
    // Every session on one route listens to the same signal (bounded by maxSessions); each removes its listener when it ends.
    if (routeClosed) setMaxListeners(this.maxSessions + 1, routeClosed);
    session.open(route, routeClosed);
  }

  /** A signal that aborts when the secure channel `route` starts with closes (undefined: not a channel route). */
  private channelClosedSignal(route: Route): AbortSignal | undefined {
    const first = route[0];
    if (first === undefined || first.type !== LOCAL) return undefined;
    const channel = SecureChannelRegistry.of(this.node).get(first.value);
    if (channel === undefined || channel.address !== first.value) return undefined;
    let signal = this.channelSignals.get(channel);
    if (signal === undefined) {
      // One listener per channel, however many sessions share it.
      const controller = new AbortController();
      channel.onClosed(() => controller.abort());
      signal = controller.signal;
      this.channelSignals.set(channel, signal);
    }
    return signal;
  }

  private setConnected(outcome: true | string): void {
    const connected = outcome === true;
    if (connected !== this.connected) this.since = Date.now();
    this.connected = connected;
    if (outcome === true) this.lastError.succeed();
    else this.lastError.fail(outcome);
  }

  private sessionEnded(session: InletSession): void {
    if (this.sessions.get(session.address) !== session) return;
    this.sessions.delete(session.address);
    void stopQuietly(this.node, session.address);
  }
}
