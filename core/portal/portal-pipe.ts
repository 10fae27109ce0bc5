import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { DisconnectReason, MAX_PAYLOAD_CHUNK, encodeCredit, encodePayloadParts, encodePortalMessage } from './portal-message.js';
import type { DisconnectReasonCode, PortalMessage } from './portal-message.js';
import type { PortalCounters } from './portal-counters.js';

/** How a pipe ended: `reason` is absent after a clean close (both directions ended). */
export interface PipeOutcome {
  readonly reason?: DisconnectReasonCode;
  /** True when the peer sent the disconnect. */
  readonly byPeer: boolean;
}

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
  readonly counters: PortalCounters;
  readonly logger: Logger;
  /** Called exactly once, after the socket is destroyed. */
  readonly onClose: (outcome: PipeOutcome) => void;
}

/**
 * The data phase of one portal session, the same on inlet and outlet: socket bytes go to
 * the peer as payload chunks within the peer's credit; peer payloads go to the socket,
 * and credit is granted back only once the socket has accepted them. So a reader that
 * stops reading stalls its writer after about one window, and no node holds more than
 * about one window per direction and session. TCP half-close maps to `end`; the pipe
 * closes cleanly when both directions have ended, and aborts (with `disconnect`) on any
 * socket error or protocol violation.
 */
export class PortalPipe {
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
  private sendSequence = 0;
  private receiveSequence = 0;
  private readonly grantThreshold: number;
  private readEnded = false;
  private sentEnd = false;
  private peerEnded = false;
  private writeFinished = false;
  private closed = false;

  constructor(options: PortalPipeOptions) {
    this.options = options;
    this.socket = options.socket;
    this.sendCredit = options.sendWindow;
    this.receiveAllowance = options.receiveWindow;
    this.grantThreshold = Math.max(1, Math.min(MAX_PAYLOAD_CHUNK, Math.floor(options.receiveWindow / 4)));
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

  /** True once the pipe has closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Handles a message from the peer session (ping and pong are not expected here). */
  handle(message: PortalMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case 'payload': return this.onPayload(message.sequence, message.data);
      case 'credit':
        this.sendCredit = Math.min(this.sendCredit + message.amount, Number.MAX_SAFE_INTEGER);
        return this.flush();
      case 'end':
        if (this.peerEnded) return this.abort(DisconnectReason.protocolError);
        this.peerEnded = true;
        this.socket.end();
        return;
      case 'disconnect':
        this.options.logger.debug({ reason: message.reason }, 'portal peer disconnected');
        return this.close({ reason: message.reason, byPeer: true });
      default:
        this.options.counters.unexpected++;
        return;
    }
  }

  /** Aborts both directions: tells the peer (unless it is gone) and destroys the socket. */
  abort(reason: DisconnectReasonCode, notifyPeer = true): void {
    if (this.closed) return;
    if (notifyPeer) this.send(encodePortalMessage({ type: 'disconnect', reason }));
    this.close({ reason, byPeer: false });
  }

  private onPayload(sequence: number, data: Uint8Array): void {
    if (this.peerEnded || data.length > this.receiveAllowance || sequence !== this.receiveSequence) {
      this.options.logger.debug({ bytes: data.length, allowance: this.receiveAllowance, sequence, expected: this.receiveSequence },
        'portal peer broke the protocol or a chunk was lost');
      return this.abort(DisconnectReason.protocolError);
    }
    this.receiveSequence = (this.receiveSequence + 1) >>> 0;
    this.receiveAllowance -= data.length;
    this.options.counters.bytesIn += data.length;
    this.writeLengths.push(data.length);
    this.socket.write(data, this.onWritten);
  }

  private readonly onWritten = (error?: Error | null): void => {
    const length = this.writeLengths[this.writeHead++] ?? 0;
    if (this.writeHead > 1024) {
      this.writeLengths.splice(0, this.writeHead);
      this.writeHead = 0;
    }
    if (error || this.closed) return;
    this.toGrant += length;
    if (this.toGrant >= this.grantThreshold) {
      this.receiveAllowance += this.toGrant;
      this.send(encodeCredit(this.toGrant));
      this.toGrant = 0;
    }
  };

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
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
    this.abort(DisconnectReason.connectionLost);
  };

  private readonly onSocketClose = (): void => {
    // A clean close waits for unsent data; anything else is a lost connection.
    if (this.closed || (this.readEnded && this.writeFinished)) return;
    this.abort(DisconnectReason.connectionLost);
  };

  /**
   * Sends pending socket data within the credit, joining small reads into chunks of up to
   * MAX_PAYLOAD_CHUNK; pauses the socket when out of credit.
   */
  private flush(): void {
    const pending = this.pending;
    while (this.pendingBytes > 0 && this.sendCredit > 0 && !this.closed) {
      const size = Math.min(this.pendingBytes, MAX_PAYLOAD_CHUNK, this.sendCredit);
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
      this.send(payload);
    }
    if (this.closed) return;
    if (this.pendingBytes > 0 || this.sendCredit <= 0) this.socket.pause();
    else if (!this.readEnded) this.socket.resume();
    if (this.readEnded && this.pendingBytes === 0 && !this.sentEnd) {
      this.sentEnd = true;
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
      if (!this.closed) this.close({ reason: DisconnectReason.connectionLost, byPeer: false });
    }
  }

  private close(outcome: PipeOutcome): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.length = 0;
    this.pendingBytes = 0;
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('finish', this.onFinish);
    s.off('close', this.onSocketClose);
    // Keep a no-op error listener: a destroyed socket may still report a late error.
    s.off('error', this.onError);
    s.on('error', ignore);
    s.destroy();
    this.options.onClose(outcome);
  }
}

function ignore(): void {}
