import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import type { Node } from '../node/node.js';
import type { Worker, WorkerContext } from '../node/worker.js';
import { local } from '../routing/address.js';
import type { Address } from '../routing/address.js';
import type { Message, MessageOrigin } from '../routing/message.js';
import { decodeMessage, encodeMessage, encodeMessageHeader } from '../routing/message-codec.js';
import { FRAME_HEADER_SIZE, FrameDecoder } from './frame-decoder.js';
import type { FrameSink } from './frame-decoder.js';
import type { TransportConnectionInfo } from './transport.js';

/** Forwarding destinations a connection remembers for replies. */
const MAX_REPLY_PEERS = 64;

/** The byte a connecting side sends first. */
export const TRANSPORT_VERSION = 1;

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
  /** The connection a routed message came in on (its return route's first hop), if any. */
  sourceOf(message: Message): TcpConnection | undefined;
  closed(connection: TcpConnection): void;
}

const TCP_ORIGIN: MessageOrigin = Object.freeze({ via: 'tcp' });
const HEARTBEAT = new Uint8Array(FRAME_HEADER_SIZE);
/** Payloads from this size on are written after their header, not copied into one frame. */
const SEPARATE_PAYLOAD_BYTES = 2048;

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
  /** Connections whose reading this one paused because its own write buffer is full. */
  private blocked: Set<TcpConnection> | null = null;
  private readonly closedPromise: Promise<void>;
  /** Created on the first `closedSignal()` call; aborted when the socket closes. */
  private closedController: AbortController | null = null;

  constructor(
    private readonly host: ConnectionHost,
    readonly socket: Socket,
    readonly workerAddress: string,
    readonly remote: string,
    readonly direction: 'incoming' | 'outgoing',
  ) {
    this.self = local(workerAddress);
    this.awaitingVersion = direction === 'incoming';
    this.decoder = new FrameDecoder(host.maxFrameSize, this);
    socket.setNoDelay(true);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    socket.on('error', (error) => host.logger.debug({ connection: workerAddress, remote, err: error }, 'tcp connection error'));
    socket.once('close', () => {
      this.closedController?.abort();
      this.decoder.halt();
      this.onDrain();
      host.closed(this);
    });
    if (direction === 'outgoing') this.writeRaw(Uint8Array.of(TRANSPORT_VERSION));
  }

  /** Peers (`host:port` as dialed) this connection's traffic was forwarded to; their replies may come back in. */
  private replyPeers: Set<string> | null = null;

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
      host.stats.writeDropped++;
      host.node.reportDropped(message, `connection ${this.workerAddress} write buffer is full`);
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
    // Above the socket's own high-water mark too, so 'drain' is sure to follow.
    if (this.socket.writableLength > Math.max(host.writeHighWaterMark, this.socket.writableHighWaterMark)) {
      const source = host.sourceOf(message);
      if (source !== undefined) this.block(source);
    }
  }

  /** Sends a heartbeat (an empty frame). */
  sendHeartbeat(): void {
    if (!this.socket.destroyed && this.socket.writable) this.writeRaw(HEARTBEAT);
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
    if (!this.decoder.push(bytes) && this.decoder.oversizedLength !== null) {
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

  private onDrain(): void {
    const blocked = this.blocked;
    if (blocked === null) return;
    this.blocked = null;
    for (const source of blocked) source.resumeReading();
  }
}
