import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Message, MessageOrigin, Route } from '../routing/message.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import { DisconnectReason, PORTAL_PROTOCOL_VERSION, decodePortalMessage, encodePortalMessage } from './portal-message.js';
import type { DisconnectReasonCode } from './portal-message.js';
import { PortalPipe } from './portal-pipe.js';
import type { PipeOutcome, PipeTimeouts } from './portal-pipe.js';
import type { PortalCounters } from './portal-counters.js';
import type { HostPort } from '../transport/host-port.js';
import type { PathBudget } from './path-budget.js';
import type { WindowPool } from './window-pool.js';
import { resetSocket } from './session-support.js';

/** What an outlet session needs from its outlet. */
export interface OutletSessionHost {
  readonly target: HostPort;
  readonly window: number;
  readonly connectTimeoutMs: number;
  readonly counters: PortalCounters;
  readonly logger: Logger;
  readonly timeouts: PipeTimeouts;
  /** The send budget of the path `route` leaves through; given back with {@link budgetDone}. */
  budgetFor(route: Route): PathBudget;
  budgetDone(budget: PathBudget): void;
  /** The node's pool for grown receive windows (none: windows stay as announced). */
  readonly windowPool?: WindowPool;
  /** The session could not connect to the target (`why`: local detail); the inlet was told `connectFailed`. */
  connectFailed(why: string): void;
  /** The session connected to the target and answered pong. */
  opened(): void;
  /** An open session ended abnormally on this side (`why`: local detail), not because the inlet said so. */
  aborted(why: string): void;
  /** Called once when the session has ended; the outlet stops the worker. */
  ended(session: OutletSession): void;
  /** Opens the connection to the target for a ping of this origin (default: `net.connect`). */
  readonly connect?: (target: HostPort, origin: MessageOrigin | undefined) => Socket;
}

/**
 * The outlet side of one portal session, a worker at a fresh address. On start it connects
 * to the target (bounded by a timeout); once connected it answers `pong` from its own
 * address and moves bytes through a {@link PortalPipe}. A failed or timed-out connect sends
 * `disconnect` with reason `connectFailed` (nothing more: the error itself stays local).
 */
export class OutletSession implements Worker {
  private ctx: WorkerContext | undefined;
  private socket: Socket | undefined;
  private pipe: PortalPipe | undefined;
  private timer: NodeJS.Timeout | undefined;
  private budget: PathBudget | undefined;
  private done = false;

  constructor(
    private readonly host: OutletSessionHost,
    readonly address: string,
    /** The route back to the inlet session (the ping's return route). */
    private readonly peerRoute: Route,
    /** Bytes the inlet allows us to send before it grants credit. */
    private readonly peerWindow: number,
    /** The origin of the ping that opened the session. */
    private readonly origin?: MessageOrigin,
  ) {}

  /** {@inheritDoc Worker.initialize} */
  initialize(ctx: WorkerContext): void {
    this.ctx = ctx;
  }

  /** Connects to the target; answers pong or disconnect. Call once, after the worker started. */
  open(): void {
    const { host, port } = this.host.target;
    const socket = this.host.connect !== undefined ? this.host.connect(this.host.target, this.origin) : connect({ host, port, allowHalfOpen: true });
    this.socket = socket;
    socket.pause();
    socket.setNoDelay(true);
    const fail = (why: string): void => {
      if (this.done) return;
      this.host.logger.info({ target: `${host}:${port}`, why }, 'outlet could not connect to its target');
      this.host.counters.sessionsFailed++;
      this.host.connectFailed(`cannot connect to the target ${host}:${port}: ${why}`);
      this.finish(DisconnectReason.connectFailed, true);
    };
    // The inlet learns only the reason code (connectFailed), never the error itself. The
    // ping passed the outlet's access control before any connect, so only a peer the
    // policy admits learns whether the target is reachable.
    const onError = (error: Error): void => fail(error.message);
    const onClose = (): void => fail('connection closed');
    socket.once('error', onError);
    socket.once('close', onClose);
    this.timer = setTimeout(() => fail(`no connection within ${this.host.connectTimeoutMs} ms`), this.host.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(this.timer);
      this.timer = undefined;
      socket.off('error', onError);
      socket.off('close', onClose);
      if (this.done) return;
      this.host.counters.sessionsOpened++;
      this.host.opened();
      this.send(encodePortalMessage({ type: 'pong', version: PORTAL_PROTOCOL_VERSION, window: this.host.window }));
      this.budget = this.host.budgetFor(this.peerRoute);
      this.pipe = new PortalPipe({
        socket,
        sendToPeer: (payload) => this.send(payload),
        sendWindow: this.peerWindow,
        receiveWindow: this.host.window,
        counters: this.host.counters,
        logger: this.host.logger,
        budget: this.budget,
      ...(this.host.windowPool === undefined ? {} : { windowPool: this.host.windowPool }),
        timeouts: this.host.timeouts,
        onClose: (outcome) => this.pipeClosed(outcome),
      });
      this.pipe.start();
    });
  }

  /** Bytes held for this session (unsent reads plus unwritten socket data). */
  get bufferedBytes(): number {
    return this.pipe?.bufferedBytes ?? 0;
  }

  /** {@inheritDoc Worker.handleMessage} */
  handleMessage(_ctx: WorkerContext, message: Message): void {
    let decoded;
    try {
      decoded = decodePortalMessage(message.payload);
    } catch (error) {
      this.host.counters.malformed++;
      this.host.logger.debug({ err: (error as Error).message }, 'malformed portal message dropped');
      return;
    }
    if (this.pipe) this.pipe.handle(decoded);
    else if (decoded.type === 'disconnect') this.finish(undefined, false);
    else this.host.counters.unexpected++;
  }

  /** Liveness and idle check of an open session (the outlet calls it about once a second). */
  tick(now: number): void {
    this.pipe?.tick(now);
  }

  /** {@inheritDoc Worker.shutdown} */
  shutdown(): void {
    this.abort(DisconnectReason.shutdown, 'the outlet is stopping');
  }

  /** Aborts the session, telling the inlet; the target connection is reset. */
  abort(reason: DisconnectReasonCode, why = 'aborted'): void {
    if (this.pipe) this.pipe.abort(reason, why);
    else this.finish(reason, true);
  }

  private pipeClosed(outcome: PipeOutcome): void {
    if (this.budget !== undefined) {
      this.host.budgetDone(this.budget);
      this.budget = undefined;
    }
    if (outcome.reason !== undefined) {
      this.host.counters.sessionsAborted++;
      this.host.logger.info({ session: this.address, why: outcome.why, byPeer: outcome.byPeer }, 'outlet session aborted');
      if (!outcome.byPeer) this.host.aborted(outcome.why ?? `aborted (reason ${outcome.reason})`);
    }
    this.finish(undefined, false);
  }

  private send(payload: Uint8Array): void {
    this.ctx?.send(this.peerRoute, payload);
  }

  private finish(reason: DisconnectReasonCode | undefined, notifyPeer: boolean): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (notifyPeer && reason !== undefined) {
      try {
        this.send(encodePortalMessage({ type: 'disconnect', reason }));
      } catch {
        // The route is gone: nothing more to tell.
      }
    }
    // Never an orderly end unless the pipe closed in order (then the socket is gone already).
    if (this.socket) resetSocket(this.socket);
    this.host.ended(this);
  }
}
