import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Message, PeerInfo, Route } from '../routing/message.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import { DisconnectReason, PORTAL_PROTOCOL_VERSION, decodePortalMessage, encodePortalMessage } from './portal-message.js';
import type { DisconnectReasonCode } from './portal-message.js';
import { PortalPipe } from './portal-pipe.js';
import type { PipeOutcome, PipeTimeouts } from './portal-pipe.js';
import type { PortalCounters } from './portal-counters.js';
import type { PeerLock } from './peer-lock.js';
import type { PathBudget } from './path-budget.js';
import type { WindowPool } from './window-pool.js';
import { resetSocket } from './session-support.js';
import { describeOutletRefusal } from './outlet-refusal.js';

/** What an inlet session needs from its inlet. */
export interface InletSessionHost {
  readonly window: number;
  readonly pongTimeoutMs: number;
  readonly counters: PortalCounters;
  readonly logger: Logger;
  readonly authorizeOutlet: (peer: PeerInfo | undefined) => boolean | Promise<boolean>;
  readonly timeouts: PipeTimeouts;
  /** The send budget of the path `route` leaves through; given back with {@link budgetDone}. */
  budgetFor(route: Route): PathBudget;
  budgetDone(budget: PathBudget): void;
  /** The node's pool for grown receive windows (none: windows stay as announced). */
  readonly windowPool?: WindowPool;
  /** Reports how opening went: `true` on an accepted pong, an error text otherwise. */
  opened(outcome: true | string): void;
  /**
   * Reports an open session that ended abnormally (`why`: local detail); `pathFailed` when
   * the way to the outlet is broken (channel closed, no progress and no answer).
   */
  aborted(why: string, pathFailed: boolean): void;
  /** Called once when the session has ended; the inlet stops the worker. */
  ended(session: InletSession): void;
}

type State = 'opening' | 'open' | 'closed';

/**
 * The inlet side of one portal session, a worker at a fresh address, for one accepted
 * client connection (paused until the session opens). It sends `ping` to the outlet,
 * waits (bounded) for `pong`, asks `authorizeOutlet` about the pong's authenticated peer,
 * pins its access control to that peer and then moves bytes through a {@link PortalPipe}.
 * Any failure before that resets the client connection without sending it anything; so
 * does every abnormal end after it (only an orderly end of both directions ends it with FIN).
 */
export class InletSession implements Worker {
  private ctx: WorkerContext | undefined;
  private pipe: PortalPipe | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lingering: NodeJS.Timeout | undefined;
  private state: State = 'opening';
  private clientGone = false;
  private routeClosed: AbortSignal | undefined;
  private budget: PathBudget | undefined;
  private pathFailed = false;
  /** The outlet's address (the last hop of its route), for the operator's error text. */
  private outletName = 'outlet';
  /** Random id carried by ping, for correlating logs on both sides. */
  readonly sessionId = randomBytes(8);

  constructor(
    private readonly host: InletSessionHost,
    readonly address: string,
    private readonly socket: Socket,
    private readonly lock: PeerLock,
  ) {
    socket.on('error', this.onEarlyClose);
    socket.on('close', this.onEarlyClose);
  }

  /** {@inheritDoc Worker.initialize} */
  initialize(ctx: WorkerContext): void {
    this.ctx = ctx;
  }

  /** Starts the opening timeout (it covers getting the route, the ping and the pong). Call once. */
  begin(): void {
    this.timer ??= setTimeout(() => this.fail('no pong from the outlet in time', true), this.host.pongTimeoutMs);
  }

  /** True once the session has ended (or given up opening). */
  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Sends ping along `outletRoute`. Call once, after the worker started. When `routeClosed`
   * aborts (the channel under the route died), the session ends at once: the client
   * connection is destroyed, whether the session is still opening or already open.
   */
  open(outletRoute: Route, routeClosed?: AbortSignal): void {
    if (this.state !== 'opening') return;
    const last = outletRoute[outletRoute.length - 1];
    if (last !== undefined) this.outletName = last.value;
    if (routeClosed) {
      if (routeClosed.aborted) return this.fail('the route to the outlet is closed');
      routeClosed.addEventListener('abort', this.onRouteClosed, { once: true });
      this.routeClosed = routeClosed;
    }
    this.begin();
    const ping = encodePortalMessage({ type: 'ping', version: PORTAL_PROTOCOL_VERSION, window: this.host.window, sessionId: this.sessionId });
    this.ctx?.send(outletRoute, ping);
  }

  /**
   * Closes the client connection and ends the session before it opened. With `linger`, the
   * worker stays one more pong timeout to answer a late pong with `disconnect`, so the
   * outlet releases its side.
   */
  fail(why: string, linger = false): void {
    if (this.state !== 'opening') return;
    this.host.counters.sessionsFailed++;
    this.host.opened(why);
    this.host.logger.info({ session: this.sessionId.toString('hex'), why }, 'inlet session did not open');
    this.finish(linger);
  }

  /** Bytes held for this session (unsent reads plus unwritten socket data). */
  get bufferedBytes(): number {
    return this.pipe?.bufferedBytes ?? 0;
  }

  /** {@inheritDoc Worker.handleMessage} */
  async handleMessage(ctx: WorkerContext, message: Message): Promise<void> {
    let decoded;
    try {
      decoded = decodePortalMessage(message.payload);
    } catch (error) {
      this.host.counters.malformed++;
      this.host.logger.debug({ err: (error as Error).message }, 'malformed portal message dropped');
      return;
    }
    if (this.state === 'open') return this.pipe!.handle(decoded);
    if (this.state === 'closed') {
      // A late pong for a session given up on: tell that outlet session to go away.
      if (decoded.type === 'pong') ctx.send(message.returnRoute, encodePortalMessage({ type: 'disconnect', reason: DisconnectReason.timeout }));
      return;
    }
    if (decoded.type === 'disconnect') return this.fail(describeOutletRefusal(decoded.reason, this.outletName));
    if (decoded.type !== 'pong') {
      this.host.counters.unexpected++;
      return;
    }
    const refuse = (why: string, reason: DisconnectReasonCode): void => {
      ctx.send(message.returnRoute, encodePortalMessage({ type: 'disconnect', reason }));
      this.fail(why);
    };
    if (decoded.version !== PORTAL_PROTOCOL_VERSION) return refuse('outlet speaks another protocol version', DisconnectReason.unsupportedVersion);
    let allowed = false;
    try {
      allowed = (await this.host.authorizeOutlet(message.origin?.peer)) === true;
    } catch (error) {
      this.host.logger.warn({ err: (error as Error).message }, 'outlet authorization failed');
    }
    if (!allowed) return refuse('outlet refused by the inlet policy', DisconnectReason.refused);
    if (this.clientGone || this.state !== 'opening') {
      ctx.send(message.returnRoute, encodePortalMessage({ type: 'disconnect', reason: DisconnectReason.connectionLost }));
      return this.fail('client left before the session opened');
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lock.lock(message);
    this.state = 'open';
    this.host.counters.sessionsOpened++;
    this.host.opened(true);
    this.socket.off('error', this.onEarlyClose);
    this.socket.off('close', this.onEarlyClose);
    const peerRoute = message.returnRoute;
    this.budget = this.host.budgetFor(peerRoute);
    this.pipe = new PortalPipe({
      socket: this.socket,
      sendToPeer: (payload) => ctx.send(peerRoute, payload),
      sendWindow: decoded.window,
      receiveWindow: this.host.window,
      counters: this.host.counters,
      logger: this.host.logger,
      budget: this.budget,
      ...(this.host.windowPool === undefined ? {} : { windowPool: this.host.windowPool }),
      timeouts: this.host.timeouts,
      onClose: (outcome) => this.pipeClosed(outcome),
    });
    this.pipe.start();
  }

  /** Liveness and idle check of an open session (the inlet calls it about once a second). */
  tick(now: number): void {
    this.pipe?.tick(now);
  }

  /** {@inheritDoc Worker.shutdown} */
  shutdown(): void {
    this.abort(DisconnectReason.shutdown, 'the inlet is stopping');
    if (this.lingering) {
      clearTimeout(this.lingering);
      this.lingering = undefined;
      this.host.ended(this);
    }
  }

  /** Aborts the session: the client's connection is reset, the outlet told when the session was open. */
  abort(reason: DisconnectReasonCode, why = 'aborted'): void {
    if (this.pipe) this.pipe.abort(reason, why);
    else this.finish();
  }

  private pipeClosed(outcome: PipeOutcome): void {
    if (this.budget !== undefined) {
      this.host.budgetDone(this.budget);
      this.budget = undefined;
    }
    if (outcome.reason !== undefined) {
      this.host.counters.sessionsAborted++;
      const why = outcome.why ?? `aborted (reason ${outcome.reason})`;
      this.host.logger.info({ session: this.sessionId.toString('hex'), why, byPeer: outcome.byPeer }, 'inlet session aborted');
      this.host.aborted(why, this.pathFailed || (!outcome.byPeer && outcome.reason === DisconnectReason.timeout));
    }
    this.finish();
  }

  private readonly onRouteClosed = (): void => {
    if (this.state === 'opening') return this.fail('the channel to the outlet closed');
    this.pathFailed = true;
    this.abort(DisconnectReason.connectionLost, 'the channel to the outlet closed');
  };

  private readonly onEarlyClose = (): void => {
    // The client left while opening: keep waiting for the pong (to release the outlet's
    // session), but the client connection is gone.
    this.clientGone = true;
  };

  private finish(linger = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.routeClosed?.removeEventListener('abort', this.onRouteClosed);
    this.routeClosed = undefined;
    // Never an orderly end unless the pipe closed in order (then the socket is gone already).
    resetSocket(this.socket);
    if (!linger) return this.host.ended(this);
    this.lingering = setTimeout(() => {
      this.lingering = undefined;
      this.host.ended(this);
    }, this.host.pongTimeoutMs);
  }
}
