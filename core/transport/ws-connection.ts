import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import { local } from '../routing/address.js';
import type { Address } from '../routing/address.js';
import type { Message, MessageOrigin } from '../routing/message.js';
import { decodeMessage, encodeMessage, encodeMessageHeader } from '../routing/message-codec.js';
import type { PeerBudget, SourceShare } from './peer-budget.js';
import type { TransportConnectionInfo } from './transport.js';

/** Forwarding destinations a connection remembers for replies. */
const MAX_REPLY_PEERS = 64;

/** The one-byte binary message a connecting side sends first (the same version as TCP's first byte). */
export const WS_TRANSPORT_VERSION = 1;

/** Transport counters; they only grow. */
export interface WsTransportStats {
  framesIn: number;
  framesOut: number;
  /** Connections closed for announcing a message larger than maxFrameSize. */
  oversized: number;
  /** Messages whose body did not decode as a routed message (dropped, connection kept). */
  malformed: number;
  /** Connections closed for breaking the WebSocket protocol or sending text messages. */
  protocolErrors: number;
  /** Connections closed because the peer stayed silent past the heartbeat timeout. */
  heartbeatTimeouts: number;
  /** Incoming connections closed for a wrong first (version) message. */
  badVersion: number;
  /** Outgoing connects (TCP, TLS or the upgrade) that failed. */
  connectFailures: number;
  /** Messages dropped: too big for a frame, or offered to a connection closed for not reading. */
  writeDropped: number;
  /** Connections closed on arrival because the listener had maxIncomingConnections open. */
  refusedConnections: number;
}

/** What a connection needs from its transport. */
export interface WsConnectionHost {
  readonly node: Node;
  readonly logger: Logger;
  readonly stats: WsTransportStats;
  readonly maxFrameSize: number;
  readonly writeHighWaterMark: number;
  readonly maxBufferedBytes: number;
  /** What peers may make the node hold, per source and in total. */
  readonly budget: PeerBudget;
  /** The connection a routed message came in on (its return route's first hop), if any. */
  sourceOf(message: Message): WsConnection | undefined;
  closed(connection: WsConnection): void;
}

/**
 * Messages from another node that no secure channel vouched for: the same origin as TCP's
 * (`tcp` means "arrived over a transport"), so every access control and the forwarding rule
 * treat both transports alike.
 */
const WS_ORIGIN: MessageOrigin = Object.freeze({ via: 'tcp' });
const HEARTBEAT = new Uint8Array(0);
const HELLO = Uint8Array.of(WS_TRANSPORT_VERSION);
/** One whole binary message. */
const WHOLE = Object.freeze({ binary: true, compress: false, fin: true });
/** The first fragment of a binary message (a header written before its payload). */
const FIRST_FRAGMENT = Object.freeze({ binary: true, compress: false, fin: false });
/** Payloads from this size on are sent as a second fragment after their header, not copied into one buffer. */
const SEPARATE_PAYLOAD_BYTES = 2048;
const OPEN = 1;

/**
 * One WebSocket connection, registered as a worker at `workerAddress`. Each frame of the
 * TCP transport is one binary WebSocket message here (a large payload goes as a second
 * fragment of the same message); an empty message is a heartbeat. Messages routed to the
 * worker's address leave through the WebSocket without their first hop; messages that
 * arrive get this connection's address pushed onto their return route and origin `tcp`,
 * and are routed by the node. `socket` is the TCP (or TLS) socket under the WebSocket: its
 * byte counts, buffer and `drain` drive back-pressure.
 */
export class WsConnection implements Worker {
  readonly self: Address;
  readonly openedAt = Date.now();
  /** Set when messages arrive / leave; the transport's shared heartbeat tick clears them. */
  readActivity = false;
  writeActivity = false;
  lastReadAt = Date.now();
  lastWriteAt = Date.now();
  private awaitingVersion: boolean;
  private corked = false;
  private closed = false;
  private pausedBy = 0;
  /** Connections whose reading this one paused because its own write buffer is full. */
  private blocked: Set<WsConnection> | null = null;
  private readonly closedPromise: Promise<void>;
  /** Created on the first `closedSignal()` call; aborted when the connection closes. */
  private closedController: AbortController | null = null;
  /** Peers (URLs as dialed) this connection's traffic was forwarded to; their replies may come back in. */
  private replyPeers: Set<string> | null = null;
  /** Bytes this connection counts as buffered in the budget now. */
  private accounted = 0;
  /**
   * Bytes received since the last whole message, counted in the budget as held in part: an
   * upper bound of what the WebSocket layer holds for an unfinished message (it may include
   * the tail of a chunk that also finished one).
   */
  private partial = 0;

  constructor(
    private readonly host: WsConnectionHost,
    private readonly ws: WebSocket,
    private readonly socket: Socket,
    readonly workerAddress: string,
    readonly remote: string,
    readonly direction: 'incoming' | 'outgoing',
    /** This connection's source (remote IP address) in the node's budget. */
    readonly share: SourceShare,
  ) {
    this.self = local(workerAddress);
    this.awaitingVersion = direction === 'incoming';
    socket.setNoDelay(true);
    this.closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('error', (error: Error & { code?: string }) => this.onError(error));
    socket.on('drain', () => this.onDrain());
    // After the WebSocket's own listener: it has emitted the messages this chunk finished.
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    ws.once('close', () => {
      this.closed = true;
      this.closedController?.abort();
      this.onDrain();
      this.account(0);
      this.holdPartial(0);
      host.budget.leave(share);
      host.closed(this);
    });
    if (direction === 'outgoing') this.write(HELLO, WHOLE);
  }

  /** Records that messages from this connection were forwarded to `url` (bounded). */
  allowRepliesFrom(url: string): void {
    const peers = (this.replyPeers ??= new Set());
    if (peers.has(url)) return;
    if (peers.size >= MAX_REPLY_PEERS) peers.delete(peers.values().next().value as string);
    peers.add(url);
  }

  /** True when this connection's traffic was forwarded to `url` (so its replies may enter). */
  forwardedTo(url: string): boolean {
    return this.replyPeers !== null && this.replyPeers.has(url);
  }

  /** A snapshot for `connections()`. */
  info(): TransportConnectionInfo {
    return {
      workerAddress: this.workerAddress,
      remote: this.remote,
      direction: this.direction,
      openedAt: this.openedAt,
      bytesIn: this.socket.bytesRead,
      bytesOut: this.socket.bytesWritten,
      bufferedBytes: this.closed ? 0 : this.ws.bufferedAmount,
      paused: this.pausedBy > 0,
    };
  }

  /** Worker side: a message routed to this connection's address leaves through the WebSocket. */
  handleMessage(_ctx: WorkerContext, message: Message): void {
    this.sendMessage(message);
  }

  /** Worker side: closes the connection and waits until it is closed. */
  async shutdown(): Promise<void> {
    this.close();
    await this.closedPromise;
  }

  /** Closes the connection now (no closing handshake); pending writes are discarded. */
  close(): void {
    this.ws.terminate();
  }

  /** A signal that aborts when the connection closes (already aborted once it is closed). */
  closedSignal(): AbortSignal {
    if (this.closedController === null) {
      this.closedController = new AbortController();
      if (this.closed) this.closedController.abort();
    }
    return this.closedController.signal;
  }

  /**
   * Sends `message` as one binary WebSocket message, leaving out its first onward hop (the
   * hop this connection stands for). Applies the back-pressure rule of the TCP transport.
   */
  sendMessage(message: Message): void {
    const host = this.host;
    if (this.ws.readyState !== OPEN) {
      host.node.reportDropped(message, `connection ${this.workerAddress} is closed`);
      return;
    }
    if (message.onwardRoute.length < 2) {
      host.node.reportDropped(message, `nothing to route after ${this.workerAddress}`);
      return;
    }
    if (this.ws.bufferedAmount > host.maxBufferedBytes) {
      // A peer that does not read: close it rather than drop frames of a live session.
      this.closeOverBudget(message, 'its write buffer is full');
      return;
    }
    const separate = message.payload.length >= SEPARATE_PAYLOAD_BYTES;
    let head: Uint8Array;
    try {
      const options = { dropFirstHop: true };
      head = separate ? encodeMessageHeader(message, options) : encodeMessage(message, options);
    } catch (error) {
      host.node.reportDropped(message, `cannot encode: ${(error as Error).message}`);
      return;
    }
    const length = head.length + (separate ? message.payload.length : 0);
    if (length > host.maxFrameSize) {
      host.stats.writeDropped++;
      host.node.reportDropped(message, `message of ${length} bytes exceeds the frame limit`);
      return;
    }
    host.stats.framesOut++;
    if (separate) {
      this.write(head, FIRST_FRAGMENT);
      this.write(message.payload, WHOLE);
    } else {
      this.write(head, WHOLE);
    }
    const buffered = this.ws.bufferedAmount;
    // Counted only past the socket's own high-water mark, so 'drain' is sure to zero it.
    if (buffered > this.socket.writableHighWaterMark || this.accounted !== 0) {
      if (!this.account(buffered > this.socket.writableHighWaterMark ? buffered : 0) && buffered > host.writeHighWaterMark) {
        this.closeOverBudget(undefined, 'its source or the node holds too many buffered bytes');
        return;
      }
    }
    // Above the socket's own high-water mark too, so 'drain' is sure to follow.
    if (buffered > Math.max(host.writeHighWaterMark, this.socket.writableHighWaterMark)) {
      const source = host.sourceOf(message);
      if (source !== undefined) this.block(source);
    }
  }

  /** Sends a heartbeat (an empty binary message). */
  sendHeartbeat(): void {
    if (this.ws.readyState === OPEN) this.write(HEARTBEAT, WHOLE);
  }

  /** Pauses reading on behalf of a congested connection (counted: resumes when all released). */
  pauseReading(): void {
    if (this.pausedBy++ === 0) this.ws.pause();
  }

  /** Releases one pause. */
  resumeReading(): void {
    if (this.pausedBy > 0 && --this.pausedBy === 0 && !this.closed) this.ws.resume();
  }

  private onData(chunk: Buffer): void {
    if (this.closed || this.holdPartial(this.partial + chunk.length)) return;
    this.host.budget.stats.closedForPartialFrames++;
    this.host.logger.warn({ connection: this.workerAddress, remote: this.remote }, 'ws peer holds too many partly received messages; closing');
    this.close();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const host = this.host;
    this.readActivity = true;
    this.holdPartial(0);
    if (!isBinary) {
      host.stats.protocolErrors++;
      host.logger.warn({ connection: this.workerAddress, remote: this.remote }, 'ws peer sent a text message; closing');
      this.close();
      return;
    }
    if (this.awaitingVersion) {
      if (data.length !== 1 || data[0] !== WS_TRANSPORT_VERSION) {
        host.stats.badVersion++;
        host.logger.warn({ connection: this.workerAddress, remote: this.remote, version: data[0] }, 'ws peer sent an unknown version; closing');
        this.close();
        return;
      }
      this.awaitingVersion = false;
      return;
    }
    if (data.length === 0) return;
    host.stats.framesIn++;
    let decoded: Message;
    try {
      decoded = decodeMessage(data);
    } catch (error) {
      host.stats.malformed++;
      host.node.reportMalformed(this.workerAddress, error);
      return;
    }
    host.node.route({
      onwardRoute: decoded.onwardRoute,
      returnRoute: [this.self, ...decoded.returnRoute],
      payload: decoded.payload,
      origin: WS_ORIGIN,
    });
  }

  /** A WebSocket protocol error (ws reports it once): count it and close at once. */
  private onError(error: Error & { code?: string }): void {
    const host = this.host;
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      host.stats.oversized++;
      host.logger.warn({ connection: this.workerAddress, remote: this.remote, max: host.maxFrameSize }, 'ws peer announced an oversized message; closing');
    } else if (error.code !== undefined && error.code.startsWith('WS_ERR_')) {
      host.stats.protocolErrors++;
      host.logger.warn({ connection: this.workerAddress, remote: this.remote, reason: error.message }, 'ws peer broke the protocol; closing');
    } else {
      host.logger.debug({ connection: this.workerAddress, remote: this.remote, err: error.message }, 'ws connection error');
    }
    this.close();
  }

  /** Sends one fragment, batching the writes of one event-loop turn into one system call. */
  private write(bytes: Uint8Array, options: typeof WHOLE | typeof FIRST_FRAGMENT): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(bytes, options);
    this.writeActivity = true;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private block(source: WsConnection): void {
    this.blocked ??= new Set();
    if (this.blocked.has(source)) return;
    this.blocked.add(source);
    source.pauseReading();
  }

  /** Sets the bytes this connection counts as buffered in the budget; false when a budget is now exceeded. */
  private account(bytes: number): boolean {
    const delta = bytes - this.accounted;
    if (delta === 0) return true;
    this.accounted = bytes;
    return this.host.budget.buffered(this.share, delta);
  }

  /** Sets the bytes this connection counts as held in part; false when a budget is now exceeded. */
  private holdPartial(bytes: number): boolean {
    const delta = bytes - this.partial;
    if (delta === 0) return true;
    this.partial = bytes;
    return this.host.budget.partial(this.share, delta);
  }

  private closeOverBudget(message: Message | undefined, why: string): void {
    const host = this.host;
    host.stats.writeDropped++;
    host.budget.stats.closedForBuffering++;
    if (message !== undefined) host.node.reportDropped(message, `connection ${this.workerAddress} closed: ${why}`);
    host.logger.warn({ connection: this.workerAddress, remote: this.remote, buffered: this.ws.bufferedAmount }, `ws peer does not read: closing (${why})`);
    this.close();
  }

  private onDrain(): void {
    this.account(0);
    const blocked = this.blocked;
    if (blocked === null) return;
    this.blocked = null;
    for (const source of blocked) source.resumeReading();
  }
}
