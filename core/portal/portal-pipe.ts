import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import {
  DisconnectReason, MAX_PAYLOAD_CHUNK, MIN_ACKED_PAYLOAD, encodeCredit, encodeGrant, encodePayloadParts, encodePortalMessage,
} from './portal-message.js';
import type { DisconnectReasonCode, PortalMessage } from './portal-message.js';
import type { PortalCounters } from './portal-counters.js';
import type { BudgetWaiter, PathBudget } from './path-budget.js';
import { resetSocket } from './session-support.js';
import { GROW_AFTER_BYTES, MAX_GROWN_WINDOW } from './window-pool.js';
import type { WindowPool } from './window-pool.js';

/** How a pipe ended: `reason` is absent after a clean close (both directions ended). */
export interface PipeOutcome {
  readonly reason?: DisconnectReasonCode;
  /** True when the peer sent the disconnect. */
  readonly byPeer: boolean;
  /** Local detail of an abort (for logs and `lastError`), never sent to the peer. */
  readonly why?: string;
}

/** Liveness and idle rules of a pipe, in ms (see docs/portals.md, "Liveness"). */
export interface PipeTimeouts {
  /** No progress for a third of this while something is owed: probe; no answer by the end of it: abort. */
  readonly livenessTimeoutMs: number;
  /** No data either way for this long: abort (0: never). */
  readonly idleTimeoutMs: number;
}

const STATE_PROBE = Uint8Array.of(8);

/**
 * A socket read this large filled libuv's read buffer (64 KiB): more bytes are likely
 * waiting, so the pipe holds it until the end of the event-loop turn to send fewer, larger
 * chunks (up to MAX_PAYLOAD_CHUNK). Shorter reads (interactive traffic, the tail of a
 * burst) are sent at once, so round trips never wait.
 */
const FULL_READ = 64 * 1024;

/** What a {@link PortalPipe} needs. */
export interface PortalPipeOptions {
  /** The session's TCP connection, opened with `allowHalfOpen: true`. */
  readonly socket: Socket;
  /** Sends one encoded portal message to the peer session. */
  readonly sendToPeer: (payload: Uint8Array) => void;
  /** Bytes the peer allows us to send before it grants credit (its announced window). */
  readonly sendWindow: number;
  /** Bytes we allow the peer to send before we grant credit (our announced window). */
  readonly receiveWindow: number;
  /**
   * Where a receive window that grows beyond `receiveWindow` takes its extra from (the
   * node's pool); without one the window stays as announced.
   */
  readonly windowPool?: WindowPool;
  /** Largest receive window to grow to (default MAX_GROWN_WINDOW). */
  readonly maxReceiveWindow?: number;
  readonly counters: PortalCounters;
  readonly logger: Logger;
  /** The send budget of the path to the peer (shared with the node's other sessions on it). */
  readonly budget?: PathBudget;
  readonly timeouts: PipeTimeouts;
  /** Called exactly once, after the socket is destroyed. */
  readonly onClose: (outcome: PipeOutcome) => void;
}

/**
 * The data phase of one portal session, the same on inlet and outlet: socket bytes go to
 * the peer as payload chunks within the peer's credit; peer payloads go to the socket,
 * and credit is granted back only once the socket has accepted them. So a reader that
 * stops reading stalls its writer after about one window, and no node holds more than
 * about one window per direction and session. TCP half-close maps to `end`; the pipe
 * closes cleanly when both directions have ended, and aborts (with `disconnect`, and an
 * RST on its socket) on any socket error, protocol violation, lost message or missing
 * progress. Payloads of at least MIN_ACKED_PAYLOAD bytes also take from the path budget
 * until the peer acknowledges their arrival. See docs/portals.md.
 */
export class PortalPipe implements BudgetWaiter {
  private readonly socket: Socket;
  private readonly options: PortalPipeOptions;
  /** Socket bytes read but not yet sent (waiting for credit). */
  private readonly pending: Buffer[] = [];
  private pendingBytes = 0;
  private sendCredit: number;
  /** Bytes the peer may still send before it exceeds what we granted. */
  private receiveAllowance: number;
  /** Lengths of socket writes not yet completed, oldest first. */
  private readonly writeLengths: number[] = [];
  private writeHead = 0;
  private toGrant = 0;
  /** Bytes of acknowledged payloads arrived and not yet acknowledged. */
  private toAck = 0;
  private ackScheduled = false;
  private sendSequence = 0;
  private receiveSequence = 0;
  private grantThreshold: number;
  /** The receive window now: the announced one, grown while our socket's reader keeps up. */
  private receiveWindow: number;
  private readonly baseWindow: number;
  private readonly maxWindow: number;
  /** Taken from the window pool: (receiveWindow - baseWindow) + shrinkDebt. */
  private poolHeld = 0;
  /** Credit still to withhold after a shrink (the peer may hold it until then). */
  private shrinkDebt = 0;
  /** Bytes written out promptly (the socket buffering nothing) since the window last changed. */
  private promptBytes = 0;
  private readEnded = false;
  private sentEnd = false;
  private peerEnded = false;
  private writeFinished = false;
  private closed = false;
  private readonly budget: PathBudget | undefined;
  /** Budgeted bytes sent and not yet acknowledged. */
  private unacked = 0;
  private budgetQueued = false;
  private budgetTurn = false;
  /** Totals (mod 2^32) compared by probe and state. */
  private grantedTotal = 0;
  private ackedTotal = 0;
  private creditReceivedTotal = 0;
  private ackReceivedTotal = 0;
  /** Something was sent that no state answer has confirmed yet. */
  private unverified = false;
  private progressed = false;
  private active = false;
  private lastProgressAt = Date.now();
  private lastActiveAt = Date.now();
  private probeSentAt = 0;
  private probeSequence = 0;
  private probeEnded = false;
  /** A flush is scheduled for the end of this event-loop turn (reads being joined). */
  private flushScheduled = false;

  constructor(options: PortalPipeOptions) {
    this.options = options;
    this.socket = options.socket;
    this.sendCredit = options.sendWindow;
    this.receiveAllowance = options.receiveWindow;
    this.receiveWindow = this.baseWindow = options.receiveWindow;
    this.maxWindow = options.windowPool === undefined ? options.receiveWindow : Math.max(options.receiveWindow, options.maxReceiveWindow ?? MAX_GROWN_WINDOW);
    // A quarter of the window: the sender never runs dry while a grant is on its way, and
    // a large window means fewer credit messages.
    this.grantThreshold = Math.max(1, Math.floor(options.receiveWindow / 4));
    this.budget = options.budget;
  }

  /** Attaches the socket and starts moving bytes. */
  start(): void {
    const s = this.socket;
    s.on('data', this.onData);
    s.on('end', this.onEnd);
    s.on('finish', this.onFinish);
    s.on('error', this.onError);
    s.on('close', this.onSocketClose);
    s.resume();
    if (s.readableEnded) this.onEnd();
  }

  /** Bytes this pipe holds in memory: unsent socket reads plus unwritten socket data. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }

  /** Our receive window now (grows while the socket's reader keeps up; see docs/portals.md). */
  get currentReceiveWindow(): number {
    return this.receiveWindow;
  }

  /** True once the pipe has closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Handles a message from the peer session (ping and pong are not expected here). */
  handle(message: PortalMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case 'payload': return this.onPayload(message.sequence, message.data);
      case 'credit': return this.onCredit(message.amount);
      case 'ack':
        this.onAck(message.amount);
        return;
      case 'grant':
        if (message.ack > 0 && !this.onAck(message.ack)) return;
        if (message.credit > 0) this.onCredit(message.credit);
        return;
      case 'end':
        if (this.peerEnded) return this.abort(DisconnectReason.protocolError, 'the peer sent end twice');
        this.peerEnded = true;
        this.active = true;
        this.socket.end();
        return;
      case 'probe':
        this.send(encodePortalMessage({
          type: 'state', received: this.receiveSequence, granted: this.grantedTotal, acked: this.ackedTotal, ended: this.peerEnded,
        }));
        return;
      case 'state': return this.onState(message.received, message.granted, message.acked, message.ended);
      case 'disconnect':
        this.options.logger.debug({ reason: message.reason }, 'portal peer disconnected');
        return this.close({ reason: message.reason, byPeer: true, why: `the peer aborted the session (reason ${message.reason})` });
      default:
        this.options.counters.unexpected++;
        return;
    }
  }

  /** Aborts both directions: tells the peer (unless it is gone) and resets the socket. */
  abort(reason: DisconnectReasonCode, why?: string, notifyPeer = true): void {
    if (this.closed) return;
    if (notifyPeer) this.send(encodePortalMessage({ type: 'disconnect', reason }));
    this.close({ reason, byPeer: false, ...(why === undefined ? {} : { why }) });
  }

  /**
   * Liveness and idle check, called about once a second by the pipe's owner (one timer for
   * all its sessions). Owed = data sent and not confirmed, acknowledgements outstanding, or
   * data waiting for credit. With something owed and no progress (credit, ack or state
   * from the peer) for a third of the liveness timeout, sends `probe`; without a `state`
   * answer by the end of the timeout, aborts.
   */
  tick(now: number): void {
    if (this.closed) return;
    if (this.progressed) {
      this.progressed = false;
      this.lastProgressAt = now;
    }
    if (this.active) {
      this.active = false;
      this.lastActiveAt = now;
    }
    const { livenessTimeoutMs, idleTimeoutMs } = this.options.timeouts;
    if (idleTimeoutMs > 0 && now - this.lastActiveAt >= idleTimeoutMs) {
      this.options.counters.idleTimeouts++;
      return this.abort(DisconnectReason.timeout, `idle for ${Math.round((now - this.lastActiveAt) / 1000)} s`);
    }
    const probeAfter = Math.floor(livenessTimeoutMs / 3);
    if (this.probeSentAt > 0) {
      if (now - this.probeSentAt >= livenessTimeoutMs - probeAfter) {
        this.options.counters.livenessTimeouts++;
        this.abort(DisconnectReason.timeout, `no progress and no answer from the peer for ${Math.round((now - this.lastProgressAt) / 1000)} s`);
      }
      return;
    }
    const owed = this.unverified || this.unacked > 0 || (this.pendingBytes > 0 && this.sendCredit <= 0);
    if (owed && now - this.lastProgressAt >= probeAfter) {
      this.probeSentAt = now;
      this.probeSequence = this.sendSequence;
      this.probeEnded = this.sentEnd;
      this.send(STATE_PROBE);
    }
  }

  /** PathBudget: room again; send (one chunk first, then queue behind others). */
  budgetAvailable(): void {
    this.budgetQueued = false;
    this.budgetTurn = true;
    this.flush();
    this.budgetTurn = false;
  }

  private onCredit(amount: number): void {
    this.progressed = true;
    this.creditReceivedTotal = (this.creditReceivedTotal + amount) >>> 0;
    this.sendCredit = Math.min(this.sendCredit + amount, Number.MAX_SAFE_INTEGER);
    this.flush();
  }

  /** Releases acknowledged bytes from the path budget; false (and aborted) when the peer acknowledged more than was sent. */
  private onAck(amount: number): boolean {
    if (amount > this.unacked) {
      this.abort(DisconnectReason.protocolError, 'the peer acknowledged more than was sent');
      return false;
    }
    this.progressed = true;
    this.ackReceivedTotal = (this.ackReceivedTotal + amount) >>> 0;
    this.unacked -= amount;
    this.budget?.release(amount);
    return true;
  }

  private onState(received: number, granted: number, acked: number, ended: boolean): void {
    if (this.probeSentAt === 0) {
      this.options.counters.unexpected++;
      return;
    }
    this.probeSentAt = 0;
    this.progressed = true;
    if (received !== this.probeSequence || granted !== this.creditReceivedTotal || acked !== this.ackReceivedTotal || ended !== this.probeEnded) {
      this.options.logger.debug({ received, sent: this.probeSequence, granted, creditReceived: this.creditReceivedTotal, acked, ackReceived: this.ackReceivedTotal },
        'a portal message was lost');
      return this.abort(DisconnectReason.protocolError, 'a portal message was lost on the way');
    }
    if (this.sendSequence === this.probeSequence && this.sentEnd === this.probeEnded) this.unverified = false;
  }

  private onPayload(sequence: number, data: Uint8Array): void {
    if (this.peerEnded || data.length > this.receiveAllowance || sequence !== this.receiveSequence) {
      this.options.logger.debug({ bytes: data.length, allowance: this.receiveAllowance, sequence, expected: this.receiveSequence },
        'portal peer broke the protocol or a chunk was lost');
      return this.abort(DisconnectReason.protocolError, sequence !== this.receiveSequence ? 'a payload was lost on the way' : 'the peer broke the protocol');
    }
    this.receiveSequence = (this.receiveSequence + 1) >>> 0;
    this.receiveAllowance -= data.length;
    this.active = true;
    this.options.counters.bytesIn += data.length;
    if (data.length >= MIN_ACKED_PAYLOAD) {
      // Acknowledge arrival within this event-loop turn, whatever our socket does: it frees
      // the sender's path budget. When the socket takes the data at once (its write
      // callback runs in this turn), the ack travels with the credit in one `grant`.
      this.toAck += data.length;
      if (!this.ackScheduled) {
        this.ackScheduled = true;
        setImmediate(this.flushAck);
      }
    }
    this.writeLengths.push(data.length);
    this.socket.write(data, this.onWritten);
    // The reader stalls: more than half the announced window waits in our memory (the
    // kernel's buffers are full). Back to the announced window.
    if (this.receiveWindow > this.baseWindow && this.socket.writableLength > this.baseWindow / 2) this.shrinkWindow();
  }

  /**
   * Adaptive window, growth: GROW_AFTER_BYTES were written out while the socket buffered
   * nothing, so the reader keeps up. Doubles the window (up to maxWindow, within the
   * node's pool); the extra goes to the peer as credit with the next grant.
   */
  private growWindow(): void {
    this.promptBytes = 0;
    const pool = this.options.windowPool;
    if (pool === undefined || this.shrinkDebt > 0) return;
    const extra = pool.take(Math.min(this.receiveWindow, this.maxWindow - this.receiveWindow));
    if (extra === 0) return;
    this.poolHeld += extra;
    this.receiveWindow += extra;
    this.toGrant += extra;
    this.grantThreshold = Math.max(1, Math.floor(this.receiveWindow / 4));
    this.options.counters.windowGrowths++;
  }

  /**
   * Adaptive window, shrink: back to the announced window. Credit already granted cannot be
   * taken back, so the difference is withheld from the next grants (shrinkDebt) and given
   * back to the pool as it is.
   */
  private shrinkWindow(): void {
    this.shrinkDebt += this.receiveWindow - this.baseWindow;
    this.receiveWindow = this.baseWindow;
    this.grantThreshold = Math.max(1, Math.floor(this.baseWindow / 4));
    this.promptBytes = 0;
    this.options.counters.windowShrinks++;
  }

  /** Sends pending ack and credit as one `grant`. */
  private sendGrant(): void {
    const ack = this.toAck;
    const credit = this.toGrant;
    if (ack + credit === 0) return;
    this.toAck = 0;
    this.toGrant = 0;
    this.ackedTotal = (this.ackedTotal + ack) >>> 0;
    this.receiveAllowance += credit;
    this.grantedTotal = (this.grantedTotal + credit) >>> 0;
    this.send(credit > 0 && ack === 0 ? encodeCredit(credit) : encodeGrant(ack, credit));
  }

  private readonly flushAck = (): void => {
    this.ackScheduled = false;
    if (!this.closed && this.toAck > 0) this.sendGrant();
  };

  private readonly onWritten = (error?: Error | null): void => {
    const length = this.writeLengths[this.writeHead++] ?? 0;
    if (this.writeHead > 1024) {
      this.writeLengths.splice(0, this.writeHead);
      this.writeHead = 0;
    }
    if (error || this.closed) return;
    let credit = length;
    if (this.shrinkDebt > 0) {
      const withheld = Math.min(this.shrinkDebt, credit);
      this.shrinkDebt -= withheld;
      this.poolHeld -= withheld;
      this.options.windowPool?.give(withheld);
      credit -= withheld;
    } else if (this.receiveWindow < this.maxWindow && this.socket.writableLength === 0) {
      this.promptBytes += length;
      if (this.promptBytes >= GROW_AFTER_BYTES) this.growWindow();
    }
    this.toGrant += credit;
    if (this.toGrant >= this.grantThreshold || this.toAck > 0) this.sendGrant();
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (chunk.length >= FULL_READ && this.pendingBytes < MAX_PAYLOAD_CHUNK) {
      // More is likely in the socket: join it with this read at the end of the turn.
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.scheduledFlush);
      }
      return;
    }
    this.flush();
  };

  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private readonly onEnd = (): void => {
    this.readEnded = true;
    this.flush();
  };

  private readonly onFinish = (): void => {
    this.writeFinished = true;
    this.maybeDone();
  };

  private readonly onError = (error: Error): void => {
    this.options.logger.debug({ err: error.message }, 'portal socket failed');
    this.abort(DisconnectReason.connectionLost, `local connection failed: ${error.message}`);
  };

  private readonly onSocketClose = (): void => {
    // A clean close waits for unsent data; anything else is a lost connection.
    if (this.closed || (this.readEnded && this.writeFinished)) return;
    this.abort(DisconnectReason.connectionLost, 'local connection closed');
  };

  /**
   * Sends pending socket data within the credit, joining small reads into chunks of up to
   * MAX_PAYLOAD_CHUNK; pauses the socket when out of credit.
   */
  private flush(): void {
    const pending = this.pending;
    const budget = this.budget;
    while (this.pendingBytes > 0 && this.sendCredit > 0 && !this.closed && !this.budgetQueued) {
      const size = Math.min(this.pendingBytes, MAX_PAYLOAD_CHUNK, this.sendCredit);
      if (budget !== undefined && size >= MIN_ACKED_PAYLOAD) {
        if (!budget.tryTake(size, this, this.budgetTurn)) {
          this.budgetQueued = true;
          break;
        }
        this.unacked += size;
        if (this.budgetTurn) {
          // One chunk per turn while others wait: then behind them.
          this.budgetTurn = false;
          if (budget.hasWaiters && this.pendingBytes > size && this.sendCredit > size) {
            budget.requeue(this);
            this.budgetQueued = true;
          }
        }
      }
      const payload = encodePayloadParts(this.sendSequence, pending, size);
      // Drop what the chunk took from the front of the queue.
      let taken = 0;
      while (taken < size) {
        const head = pending[0]!;
        if (taken + head.length <= size) {
          taken += head.length;
          pending.shift();
        } else {
          pending[0] = head.subarray(size - taken);
          taken = size;
        }
      }
      this.pendingBytes -= size;
      this.sendCredit -= size;
      this.options.counters.bytesOut += size;
      this.sendSequence = (this.sendSequence + 1) >>> 0;
      this.unverified = true;
      this.active = true;
      this.send(payload);
    }
    if (this.closed) return;
    if (this.pendingBytes > 0 || this.sendCredit <= 0) this.socket.pause();
    else if (!this.readEnded) this.socket.resume();
    if (this.readEnded && this.pendingBytes === 0 && !this.sentEnd) {
      this.sentEnd = true;
      this.unverified = true;
      this.send(encodePortalMessage({ type: 'end' }));
      this.maybeDone();
    }
  }

  private maybeDone(): void {
    if (this.sentEnd && this.writeFinished) this.close({ byPeer: false });
  }

  private send(payload: Uint8Array): void {
    try {
      this.options.sendToPeer(payload);
    } catch (error) {
      this.options.logger.debug({ err: (error as Error).message }, 'portal send failed');
      if (!this.closed) this.close({ reason: DisconnectReason.connectionLost, byPeer: false, why: 'cannot send to the peer' });
    }
  }

  private close(outcome: PipeOutcome): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.pendingBytes = 0;
    if (this.poolHeld > 0) {
      this.options.windowPool?.give(this.poolHeld);
      this.poolHeld = 0;
    }
    if (this.unacked > 0) {
      this.budget?.release(this.unacked);
      this.unacked = 0;
    }
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('finish', this.onFinish);
    s.off('close', this.onSocketClose);
    s.off('error', this.onError);
    // Only an orderly end on both sides is an orderly end here: anything else resets.
    if (outcome.reason === undefined) {
      s.on('error', ignore);
      s.destroy();
    } else {
      resetSocket(s);
    }
    this.options.onClose(outcome);
  }
}

function ignore(): void {}
