import { allowLocal } from '../node/access-control.js';
import type { AccessControl } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import type { Logger } from '../logger.js';
import type { Message, MessageOrigin } from '../routing/message.js';
import type { Socket } from 'node:net';
import { AbortedError } from '../errors.js';
import { SecureChannelRegistry } from '../channel/secure-channel-registry.js';
import { DEFAULT_CREDIT_WINDOW, DisconnectReason, MAX_CREDIT_WINDOW, PING, PORTAL_PROTOCOL_VERSION, decodePortalMessage, encodePortalMessage } from './portal-message.js';
import { newPortalCounters } from './portal-counters.js';
import type { PortalCounters } from './portal-counters.js';
import { OutletSession } from './outlet-session.js';
import type { OutletSessionHost } from './outlet-session.js';
import { PeerLock, withPeerLock } from './peer-lock.js';
import { parseHostPort } from '../transport/host-port.js';
import { DEFAULT_LIVENESS_TIMEOUT_MS, nonNegative, positive, stopQuietly } from './session-support.js';
import { acquirePathBudget, releasePathBudget } from './path-budget.js';
import { windowPoolOf } from './window-pool.js';
import { SessionTicker } from './session-ticker.js';
import { addressToString } from '../routing/address.js';
import type { HostPort } from '../transport/host-port.js';
import { LastError } from '../last-error.js';
import type { LastErrorState } from '../last-error.js';

/** Options for {@link TcpOutlet}. */
export interface TcpOutletOptions {
  /** The TCP server sessions connect to, `HOST:PORT`. */
  readonly target: string;
  /** The listener's worker address (default `outlet`). */
  readonly address?: string;
  /**
   * Who may open sessions (resource type `tcp-outlet`): attached to the listener and to
   * every session worker. Default `allowLocal`; give the policy's access control for remote peers.
   */
  readonly incoming?: AccessControl;
  /** Connect timeout for each session, in ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Credit window per session and direction, in bytes (default 512 KiB). */
  readonly window?: number;
  /** Most concurrent sessions; more are refused (default 10 000). */
  readonly maxSessions?: number;
  /**
   * Most concurrent sessions one peer may hold (default 256): keyed by the authenticated
   * identifier, or by the first hop of the return route for an unauthenticated peer. More
   * pings from that peer are refused (`disconnect`, reason refused) and counted.
   */
  readonly maxSessionsPerPeer?: number;
  /** A session that moves no data either way for this long is aborted, both sockets reset (default 1 h; 0: never). */
  readonly idleTimeoutMs?: number;
  /** See TcpInletOptions.livenessTimeoutMs (default 15 000 ms). */
  readonly livenessTimeoutMs?: number;
  /**
   * Opens a session's connection to the target, given the origin of the ping that opened it
   * (for `channel`, the authenticated peer; absent for this node's own). Default:
   * `net.connect`. A Kafka outlet uses it to check each Produce request against its peer.
   */
  readonly connect?: (target: HostPort, origin: MessageOrigin | undefined) => Socket;
  readonly logger?: Logger;
}

/** Default per-peer session cap of an outlet. */
export const DEFAULT_MAX_SESSIONS_PER_PEER = 256;

/** Default idle timeout of an outlet's sessions: 1 hour. */
export const DEFAULT_OUTLET_IDLE_TIMEOUT_MS = 3_600_000;

/** Pings an outlet refused, by the reason the inlet was told. */
export interface OutletRefusals {
  /** Its access control refused the ping (policy, or a revoked identity): `deniedByPolicy`. */
  policy: number;
  /** The target could not be connected to: `connectFailed`. */
  unreachable: number;
  /** The peer held its session cap, or the outlet its total: `atCapacity`. */
  capacity: number;
}

/** What `status()` reports. `lastError`: a failed connect, a capacity refusal or a session aborted on this side. */
export interface TcpOutletStatus extends Readonly<PortalCounters>, LastErrorState {
  readonly address: string;
  readonly target: string;
  readonly running: boolean;
  /** Sessions currently open or connecting. */
  readonly sessions: number;
  /** Peers holding at least one session. */
  readonly peers: number;
  readonly maxSessionsPerPeer: number;
  /** Idle timeout in ms (0: none). */
  readonly idleTimeoutMs: number;
  /** Pings refused because their peer held maxSessionsPerPeer sessions. */
  readonly refusedPeerCap: number;
  /** Refused pings by reason. */
  readonly refusals: Readonly<OutletRefusals>;
}

/**
 * A TCP outlet: a listener worker that, for each `ping`, starts a session worker at a fresh
 * address (same incoming access control, pinned to the pinging peer), connects it to the
 * target and answers `pong` from there. A session whose ping came through a secure channel
 * ends (target connection destroyed) as soon as that channel closes. See docs/portals.md.
 */
export class TcpOutlet {
  readonly address: string;
  readonly target: string;
  private readonly node: Node;
  private readonly incoming: AccessControl;
  private readonly maxSessions: number;
  private readonly sessions = new Map<string, OutletSession>();
  private readonly counters = newPortalCounters();
  private readonly host: OutletSessionHost;
  /** Sessions by the local encryptor address of the channel their ping came through. */
  private readonly byChannel = new Map<string, Set<OutletSession>>();
  private readonly sessionChannel = new WeakMap<OutletSession, string>();
  private readonly maxSessionsPerPeer: number;
  /** Live sessions per peer key, and each session's key. */
  private readonly perPeer = new Map<string, number>();
  private readonly sessionPeer = new WeakMap<OutletSession, string>();
  private refusedPeerCap = 0;
  private readonly refusals: OutletRefusals = { policy: 0, unreachable: 0, capacity: 0 };
  private readonly lastError = new LastError();
  private readonly ticker: SessionTicker;
  private unwatchChannels: (() => void) | undefined;
  private running = false;

  constructor(node: Node, options: TcpOutletOptions) {
    this.node = node;
    this.target = options.target;
    const target: HostPort = parseHostPort(options.target, { what: 'outlet target', origin: 'portal' });
    this.address = options.address ?? 'outlet';
    this.incoming = options.incoming ?? allowLocal;
    this.maxSessions = positive(options.maxSessions ?? 10_000, 'maxSessions', Number.MAX_SAFE_INTEGER);
    const logger = (options.logger ?? node.logger).child({ outlet: this.address });
    this.host = {
      target,
      window: positive(options.window ?? DEFAULT_CREDIT_WINDOW, 'window', MAX_CREDIT_WINDOW),
      connectTimeoutMs: positive(options.connectTimeoutMs ?? 10_000, 'connectTimeoutMs', 3_600_000),
      counters: this.counters,
      logger,
      timeouts: {
        livenessTimeoutMs: positive(options.livenessTimeoutMs ?? DEFAULT_LIVENESS_TIMEOUT_MS, 'livenessTimeoutMs', 86_400_000),
        idleTimeoutMs: nonNegative(options.idleTimeoutMs ?? DEFAULT_OUTLET_IDLE_TIMEOUT_MS, 'idleTimeoutMs'),
      },
      budgetFor: (route) => acquirePathBudget(node, route),
      budgetDone: (budget) => releasePathBudget(node, budget),
      windowPool: windowPoolOf(node),
      connectFailed: (why) => {
        this.refusals.unreachable++;
        this.lastError.fail(why);
      },
      opened: () => this.lastError.succeed(),
      aborted: (why) => this.lastError.fail(`session aborted: ${why}`),
      ended: (session) => this.sessionEnded(session),
      ...(options.connect !== undefined ? { connect: options.connect } : {}),
    };
    this.maxSessionsPerPeer = positive(options.maxSessionsPerPeer ?? DEFAULT_MAX_SESSIONS_PER_PEER, 'maxSessionsPerPeer', Number.MAX_SAFE_INTEGER);
    this.ticker = new SessionTicker(this.host.timeouts, () => this.sessions.values());
  }

  /** Starts the listener worker. Throws AlreadyExistsError if the address is taken. */
  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    if (options.signal?.aborted) throw new AbortedError('portal');
    const listener: Worker = { handleMessage: (ctx, message) => this.onPing(ctx, message) };
    await this.node.startWorker(this.address, listener, { incoming: this.incoming, onIncomingDenied: this.onDeniedPing });
    this.unwatchChannels = SecureChannelRegistry.of(this.node).onClosed((info) => this.channelClosed(info.address));
    this.ticker.start();
    this.running = true;
  }

  /** Stops the listener and aborts every session (the inlets are told). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.ticker.stop();
    this.unwatchChannels?.();
    this.unwatchChannels = undefined;
    await stopQuietly(this.node, this.address);
    for (const session of [...this.sessions.values()]) session.abort(DisconnectReason.shutdown);
    await Promise.all([...this.sessions.keys()].map((a) => stopQuietly(this.node, a)));
    this.sessions.clear();
    this.byChannel.clear();
  }

  /** Counters and the number of live sessions. */
  status(): TcpOutletStatus {
    return {
      ...this.counters, address: this.address, target: this.target, running: this.running, sessions: this.sessions.size,
      peers: this.perPeer.size, maxSessionsPerPeer: this.maxSessionsPerPeer, idleTimeoutMs: this.host.timeouts.idleTimeoutMs,
      refusedPeerCap: this.refusedPeerCap, refusals: { ...this.refusals }, ...this.lastError.state(),
    };
  }

  /** Bytes held in memory across all sessions (socket buffers and unsent reads). */
  bufferedBytes(): number {
    let total = 0;
    for (const s of this.sessions.values()) total += s.bufferedBytes;
    return total;
  }

  private async onPing(ctx: WorkerContext, message: Message): Promise<void> {
    let ping;
    try {
      ping = decodePortalMessage(message.payload);
    } catch (error) {
      this.counters.malformed++;
      this.host.logger.debug({ err: (error as Error).message }, 'malformed portal message dropped');
      return;
    }
    if (ping.type !== 'ping') {
      this.counters.unexpected++;
      return;
    }
    const refuse = (reason: number): void => {
      this.counters.sessionsFailed++;
      ctx.send(message.returnRoute, encodePortalMessage({ type: 'disconnect', reason }));
    };
    if (ping.version !== PORTAL_PROTOCOL_VERSION) return refuse(DisconnectReason.unsupportedVersion);
    if (!this.running) return refuse(DisconnectReason.shutdown);
    if (this.sessions.size >= this.maxSessions) {
      this.refusals.capacity++;
      this.lastError.fail(`session refused: the outlet holds its maximum of ${this.maxSessions} sessions`);
      return refuse(DisconnectReason.atCapacity);
    }
    const peer = peerKey(message);
    const held = this.perPeer.get(peer) ?? 0;
    if (held >= this.maxSessionsPerPeer) {
      if (this.refusedPeerCap++ % 1000 === 0) {
        this.host.logger.warn({ peer, sessions: held, max: this.maxSessionsPerPeer }, 'peer at its session cap: session refused');
      }
      this.refusals.capacity++;
      this.lastError.fail(`session refused: peer ${peer} holds its maximum of ${this.maxSessionsPerPeer} sessions (--max-sessions-per-peer)`);
      return refuse(DisconnectReason.atCapacity);
    }
    const address = this.node.freshAddress(`${this.address}_session`);
    const session = new OutletSession(this.host, address, message.returnRoute, ping.window, message.origin);
    this.sessions.set(address, session);
    this.perPeer.set(peer, held + 1);
    this.sessionPeer.set(session, peer);
    try {
      await this.node.startWorker(address, session, { incoming: withPeerLock(this.incoming, PeerLock.lockedTo(message)) });
    } catch (error) {
      this.sessions.delete(address);
      this.forgetPeer(session);
      this.host.logger.warn({ err: (error as Error).message }, 'outlet could not start a session');
      return refuse(DisconnectReason.unspecified);
    }
    this.host.logger.debug({ session: address }, 'outlet session opening');
    const channel = message.origin?.peer?.channel;
    if (channel !== undefined) {
      if (SecureChannelRegistry.of(this.node).get(channel) === undefined) return session.abort(DisconnectReason.connectionLost);
      let set = this.byChannel.get(channel);
      if (!set) this.byChannel.set(channel, set = new Set());
      set.add(session);
      this.sessionChannel.set(session, channel);
    }
    session.open();
  }

  /**
   * The listener's access control denied a message (the node calls this; the listener
   * never sees it). A denied `ping` gets `disconnect` with reason `deniedByPolicy`, so the
   * inlet closes its client at once instead of after its pong timeout and can say why;
   * nothing about the policy is revealed (the denial itself is in the local decision log).
   * A denied peer never reaches the target, so it never learns whether it is reachable.
   * Anything else is dropped silently; the reply (2 bytes) is never larger than the ping.
   */
  private readonly onDeniedPing = (ctx: WorkerContext, message: Message): void => {
    if (message.payload[0] !== PING || message.returnRoute.length === 0) return;
    try {
      decodePortalMessage(message.payload);
    } catch {
      this.counters.malformed++;
      return;
    }
    this.counters.sessionsFailed++;
    this.refusals.policy++;
    ctx.send(message.returnRoute, encodePortalMessage({ type: 'disconnect', reason: DisconnectReason.deniedByPolicy }));
  };

  /** The channel at `channel` closed: its sessions end now (the inlet side is unreachable through it). */
  private channelClosed(channel: string): void {
    const set = this.byChannel.get(channel);
    if (!set) return;
    this.byChannel.delete(channel);
    for (const session of set) session.abort(DisconnectReason.connectionLost, 'the channel to the inlet closed');
  }

  private sessionEnded(session: OutletSession): void {
    const channel = this.sessionChannel.get(session);
    if (channel !== undefined) {
      this.sessionChannel.delete(session);
      const set = this.byChannel.get(channel);
      set?.delete(session);
      if (set?.size === 0) this.byChannel.delete(channel);
    }
    if (this.sessions.get(session.address) !== session) return;
    this.sessions.delete(session.address);
    this.forgetPeer(session);
    void stopQuietly(this.node, session.address);
  }

  private forgetPeer(session: OutletSession): void {
    const peer = this.sessionPeer.get(session);
    if (peer === undefined) return;
    this.sessionPeer.delete(session);
    const held = (this.perPeer.get(peer) ?? 1) - 1;
    if (held > 0) this.perPeer.set(peer, held);
    else this.perPeer.delete(peer);
  }
}

/** Whom a ping counts against: its authenticated identifier, else the hop it came in through. */
function peerKey(message: Message): string {
  const identifier = message.origin?.peer?.identifier;
  if (identifier !== undefined) return identifier;
  const first = message.returnRoute[0];
  return first === undefined ? 'local' : `hop:${addressToString(first)}`;
}
