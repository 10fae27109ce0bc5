import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import { local } from '../routing/address.js';
import type { Address } from '../routing/address.js';
import type { Message, MessageOrigin } from '../routing/message.js';
import { decodeMessage, encodeMessage, encodeMessageHeader } from '../routing/message-codec.js';
import { FRAME_HEADER_SIZE, FrameDecoder } from './frame-decoder.js';
import type { FrameBudget, FrameSink } from './frame-decoder.js';
import type { PeerBudget, SourceShare } from './peer-budget.js';
import type { TransportConnectionInfo } from './transport.js';

/** Forwarding destinations a connection remembers for replies. */
const MAX_REPLY_PEERS = 64;

/** The byte a connecting side sends first. */
export const TRANSPORT_VERSION = 1;

/**
 * The byte stream a {@link TcpConnection} runs on: a `net.Socket`, or a reliable UDP
 * stream adapted to the same surface (udp-stream-socket.ts), so both carry the same frames
 * under the same bounds.
 */
export interface ByteSocket {
  readonly destroyed: boolean;
  readonly writable: boolean;
  readonly closed: boolean;
  /** Bytes written and not yet taken (by the operating system, or for UDP acknowledged by the peer). */
  readonly writableLength: number;
  readonly writableHighWaterMark: number;
  setNoDelay(noDelay?: boolean): unknown;
  write(bytes: Uint8Array): unknown;
  cork(): void;
  uncork(): void;
  pause(): unknown;
  resume(): unknown;
  destroy(): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/** What `connections()` reports about one TCP connection (`remote` is `host:port`). */
export type TcpConnectionInfo = TransportConnectionInfo;

/** Transport counters; they only grow. */
export interface TcpTransportStats {
  framesIn: number;
  framesOut: number;
  /** Connections closed for announcing a frame larger than maxFrameSize. */
  oversized: number;
  /** Frames whose body did not decode as a message (dropped, connection kept). */
  malformed: number;
  /** Connections closed because the peer stayed silent past the heartbeat timeout. */
  heartbeatTimeouts: number;
  /** Incoming connections closed for a wrong first (version) byte. */
  badVersion: number;
  /** Outgoing connects that failed. */
  connectFailures: number;
  /** Messages dropped because a connection's write buffer was past maxBufferedBytes, or too big for a frame. */
  writeDropped: number;
}

/** What a connection needs from its transport. */
export interface ConnectionHost {
  readonly node: Node;
  readonly logger: Logger;
  readonly stats: TcpTransportStats;
  readonly maxFrameSize: number;
  readonly writeHighWaterMark: number;
  readonly maxBufferedBytes: number;
  /** What peers may make the node hold, per source and in total. */
  readonly budget: PeerBudget;
  /** The connection a routed message came in on (its return route's first hop), if any. */
  sourceOf(message: Message): TcpConnection | undefined;
  closed(connection: TcpConnection): void;
}

const TCP_ORIGIN: MessageOrigin = Object.freeze({ via: 'tcp' });
const HEARTBEAT = new Uint8Array(FRAME_HEADER_SIZE);
/** Payloads from this size on are written after their header, not copied into one frame. */
const SEPARATE_PAYLOAD_BYTES = 2048;

/**
 * Bytes the connections of one source (remote IP address) may deliver before they let
 * the other sources (and timers) have a turn: they then stop reading until the next turn
 * of the event loop. libuv reads a busy socket up to 32 times (2 MiB) per turn, so without
 * this one peer flooding small messages over a few connections (a handshake flood) held
 * the event loop for seconds while the handshakes and sessions of every other peer waited.
 */
export const READ_SLICE_BYTES = 64 * 1024;

/**
 * One TCP connection, registered as a worker at `workerAddress`. Messages routed to that
 * address leave through the socket (the address pops itself, nothing is pushed: the
 * receiving side pushes its own connection address). Frames that arrive are decoded,
 * get this connection's address pushed onto their return route and origin `tcp`, and
 * are routed by the node.
 */
export class TcpConnection implements Worker, FrameSink {
  readonly self: Address;
  readonly openedAt = Date.now();
  bytesIn = 0;
  bytesOut = 0;
  /** Set when bytes arrive / leave; the transport's shared heartbeat tick clears them. */
  readActivity = false;
  writeActivity = false;
  lastReadAt = Date.now();
  lastWriteAt = Date.now();
  private awaitingVersion: boolean;
  private readonly decoder: FrameDecoder;
  private corked = false;
  private pausedBy = 0;
  /** Waiting for the next turn of the event loop (see {@link READ_SLICE_BYTES}). */
  private yielding = false;
  private readonly resumeTurn = (): void => {
    this.yielding = false;
    this.resumeReading();
  };
  /** Connections whose reading this one paused because its own write buffer is full. */
  private blocked: Set<TcpConnection> | null = null;
  private readonly closedPromise: Promise<void>;
  /** Created on the first `closedSignal()` call; aborted when the socket closes. */
  private closedController: AbortController | null = null;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: ByteSocket,
    readonly workerAddress: string,
    readonly remote: string,
    readonly direction: 'incoming' | 'outgoing',
    /** This connection's source (remote IP address) in the node's budget. */
    readonly share: SourceShare,
  ) {
    this.self = local(workerAddress);
    this.awaitingVersion = direction === 'incoming';
    const budget = host.budget;
    const frameBudget: FrameBudget = {
      reserve: (bytes) => {
        if (budget.partial(share, bytes)) return true;
        budget.partial(share, -bytes);
        return false;
      },
      release: (bytes) => { budget.partial(share, -bytes); },
    };
    this.decoder = new FrameDecoder(host.maxFrameSize, this, frameBudget);
    socket.setNoDelay(true);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error) => host.logger.debug({ connection: workerAddress, remote, err: error }, 'tcp connection error'));
    socket.once('close', () => {
      this.closedController?.abort();
      this.decoder.halt();
      this.onDrain();
      this.account(0);
      host.budget.leave(share);
      host.closed(this);
    });
    if (direction === 'outgoing') this.writeRaw(Uint8Array.of(TRANSPORT_VERSION));
  }

  /** Peers (`host:port` as dialed) this connection's traffic was forwarded to; their replies may come back in. */
  private replyPeers: Set<string> | null = null;
  /** Bytes this connection counts as buffered in the budget now. */
  private accounted = 0;

  /** Records that messages from this connection were forwarded to `hostPort` (bounded). */
  allowRepliesFrom(hostPort: string): void {
    const peers = (this.replyPeers ??= new Set());
    if (peers.has(hostPort)) return;
    if (peers.size >= MAX_REPLY_PEERS) peers.delete(peers.values().next().value as string);
    peers.add(hostPort);
  }

  /** True when this connection's traffic was forwarded to `hostPort` (so its replies may enter). */
  forwardedTo(hostPort: string): boolean {
    return this.replyPeers !== null && this.replyPeers.has(hostPort);
  }

  /** A snapshot for `connections()`. */
  info(): TcpConnectionInfo {
    return {
      workerAddress: this.workerAddress,
      remote: this.remote,
      direction: this.direction,
      openedAt: this.openedAt,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      bufferedBytes: this.socket.writableLength,
      paused: this.pausedBy > 0,
    };
  }

  /** Worker side: a message routed to this connection's address leaves through the socket. */
  handleMessage(_ctx: WorkerContext, message: Message): void {
    this.sendMessage(message);
  }

  /** Worker side: closes the socket and waits until it is closed. */
  async shutdown(): Promise<void> {
    this.close();
    await this.closedPromise;
  }

  /** Closes the connection now; pending writes are discarded. */
  close(): void {
    this.decoder.halt();
    this.socket.destroy();
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    return this.closedPromise;
  }

  /** A signal that aborts when the socket closes (already aborted once it is closed). */
  closedSignal(): AbortSignal {
    if (this.closedController === null) {
      this.closedController = new AbortController();
      if (this.socket.closed) this.closedController.abort();
    }
    return this.closedController.signal;
  }

  /**
   * Writes `message` as one frame, leaving out its first onward hop (the hop this
   * connection stands for). Applies the back-pressure rule (see TcpTransport).
   */
  sendMessage(message: Message): void {
    const host = this.host;
    if (this.socket.destroyed || !this.socket.writable) {
      host.node.reportDropped(message, `connection ${this.workerAddress} is closed`);
      return;
    }
    if (message.onwardRoute.length < 2) {
      host.node.reportDropped(message, `nothing to route after ${this.workerAddress}`);
      return;
    }
    if (this.socket.writableLength > host.maxBufferedBytes) {
      // A peer that does not read: close it rather than drop frames of a live session.
      this.closeOverBudget(message, 'its write buffer is full');
      return;
    }
    // A large payload is written as is after its header (one writev with the cork), not copied.
    const separate = message.payload.length >= SEPARATE_PAYLOAD_BYTES;
    let head: Uint8Array;
    try {
      const options = { headroom: FRAME_HEADER_SIZE, dropFirstHop: true };
      head = separate ? encodeMessageHeader(message, options) : encodeMessage(message, options);
    } catch (error) {
      host.node.reportDropped(message, `cannot encode: ${(error as Error).message}`);
      return;
    }
    const length = head.length - FRAME_HEADER_SIZE + (separate ? message.payload.length : 0);
    if (length > host.maxFrameSize) {
      host.stats.writeDropped++;
      host.node.reportDropped(message, `message of ${length} bytes exceeds the frame limit`);
      return;
    }
    (head as Buffer).writeUInt32BE(length, 0);
    host.stats.framesOut++;
    this.writeRaw(head);
    if (separate) this.writeRaw(message.payload);
    const buffered = this.socket.writableLength;
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

  /** Sends a heartbeat (an empty frame). */
  sendHeartbeat(): void {
    if (!this.socket.destroyed && this.socket.writable) this.writeRaw(HEARTBEAT);
  }

  /** Stops reading until the next turn of the event loop, with the source's other connections, so other sources and timers run first. */
  private yieldTurn(): void {
    this.yielding = true;
    this.pauseReading();
    const share = this.share;
    if (share.yielded === null) {
      const waiting: Array<() => void> = [];
      share.yielded = waiting;
      setImmediate(() => {
        share.yielded = null;
        share.turnBytes = 0;
        for (const resume of waiting) resume();
      });
    }
    share.yielded.push(this.resumeTurn);
  }

  /** Pauses reading on behalf of a congested connection (counted: resumes when all released). */
  pauseReading(): void {
    if (this.pausedBy++ === 0) this.socket.pause();
  }

  /** Releases one pause. */
  resumeReading(): void {
    if (this.pausedBy > 0 && --this.pausedBy === 0 && !this.socket.destroyed) this.socket.resume();
  }

  /** FrameSink: a frame arrived. */
  onFrame(body: Uint8Array): void {
    const host = this.host;
    host.stats.framesIn++;
    let decoded: Message;
    try {
      decoded = decodeMessage(body);
    } catch (error) {
      host.stats.malformed++;
      host.node.reportMalformed(this.workerAddress, error);
      return;
    }
    host.node.route({
      onwardRoute: decoded.onwardRoute,
      returnRoute: [this.self, ...decoded.returnRoute],
      payload: decoded.payload,
      origin: TCP_ORIGIN,
    });
  }

  /** FrameSink: a heartbeat arrived (activity is already recorded). */
  onHeartbeat(): void {}

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.readActivity = true;
    this.share.turnBytes += chunk.length;
    if (this.share.turnBytes >= READ_SLICE_BYTES && !this.yielding) this.yieldTurn();
    let bytes: Uint8Array = chunk;
    if (this.awaitingVersion) {
      if (bytes[0] !== TRANSPORT_VERSION) {
        this.host.stats.badVersion++;
        this.host.logger.warn({ connection: this.workerAddress, remote: this.remote, version: bytes[0] }, 'tcp peer sent an unknown version; closing');
        this.close();
        return;
      }
      this.awaitingVersion = false;
      bytes = bytes.subarray(1);
    }
    if (!this.decoder.push(bytes) && this.decoder.overBudget) {
      this.host.budget.stats.closedForPartialFrames++;
      this.host.logger.warn({ connection: this.workerAddress, remote: this.remote }, 'tcp peer holds too many partly received frames; closing');
      this.close();
      return;
    }
    if (this.decoder.oversizedLength !== null && !this.socket.destroyed) {
      this.host.stats.oversized++;
      this.host.logger.warn(
        { connection: this.workerAddress, remote: this.remote, length: this.decoder.oversizedLength, max: this.host.maxFrameSize },
        'tcp peer announced an oversized frame; closing',
      );
      this.close();
    }
  }

  private writeRaw(bytes: Uint8Array): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.socket.write(bytes);
    this.bytesOut += bytes.length;
    this.writeActivity = true;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  private block(source: TcpConnection): void {
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

  private closeOverBudget(message: Message | undefined, why: string): void {
    const host = this.host;
    host.stats.writeDropped++;
    host.budget.stats.closedForBuffering++;
    if (message !== undefined) host.node.reportDropped(message, `connection ${this.workerAddress} closed: ${why}`);
    host.logger.warn({ connection: this.workerAddress, remote: this.remote, buffered: this.socket.writableLength }, `tcp peer does not read: closing (${why})`);
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
