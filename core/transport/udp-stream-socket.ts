import { EventEmitter } from 'node:events';
import type UDX from 'udx-native';
import type { UdxStream } from 'udx-native';
import UDXStream from 'udx-native/lib/stream.js';
import type { ByteSocket } from './tcp-connection.js';

/** The stream's write request table (udx-native internals), read to count acknowledged bytes. */
interface WriteRequests {
  readonly _wreqs: Array<{ buffer: Uint8Array | null; buffers: Uint8Array[] | null } | undefined>;
}

/**
 * A udx stream that reports how many written bytes the peer acknowledged: udx hands every
 * write to its native queue at once (the stream's own buffer stays near empty), so the
 * bytes a peer has not acknowledged are the only honest measure of what it makes this node
 * hold.
 */
class AckCountingStream extends UDXStream {
  onAcked: (bytes: number) => void = () => undefined;

  // Called by the native side once per write request, when every byte of it was acknowledged.
  _onack(id: number): void {
    const request = (this as unknown as WriteRequests)._wreqs[id];
    let bytes = 0;
    if (request?.buffer) bytes = request.buffer.length;
    else if (request?.buffers) for (const b of request.buffers) bytes += b.length;
    (UDXStream.prototype as unknown as { _onack(id: number): void })._onack.call(this, id);
    if (bytes > 0) this.onAcked(bytes);
  }
}

/** Creates a udx stream with local id `id` whose acknowledgements a {@link UdpStreamSocket} can count. */
export function createUdpStream(udx: UDX, id: number): UdxStream {
  return new AckCountingStream(udx, id);
}

/**
 * A udx stream (reliable, ordered, congestion-controlled bytes over UDP) with the surface
 * of a `net.Socket` that a TcpConnection uses, so a UDP connection carries exactly the TCP
 * transport's frames under the same bounds.
 *
 * - `writableLength` is the bytes written and not yet acknowledged by the peer (queued and
 *   in flight); `drain` is emitted once it falls back to `writableHighWaterMark` or below.
 * - udx has no receive window: a paused stream keeps receiving. While paused, chunks are
 *   held here and their total is reported through `onHeld` (the transport charges it to the
 *   source's budget and closes the connection when that refuses), then delivered in order on
 *   `resume`.
 */
export class UdpStreamSocket extends EventEmitter implements ByteSocket {
  readonly writableHighWaterMark = 64 * 1024;
  /** Called with the bytes held while paused (0 once delivered); false closes the connection. */
  onHeld: (bytes: number) => boolean = () => true;
  bytesWritten = 0;
  bytesAcked = 0;
  private needDrain = false;
  private paused = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private isClosed = false;
  private isDestroyed = false;

  constructor(readonly stream: UdxStream) {
    super();
    const counting = stream as Partial<AckCountingStream>;
    if (typeof counting.onAcked !== 'function') throw new TypeError('UdpStreamSocket needs a stream from createUdpStream');
    (stream as AckCountingStream).onAcked = (bytes) => this.acked(bytes);
    stream.on('data', (chunk: Buffer) => this.received(chunk));
    stream.on('error', (error: Error) => this.emit('error', error));
    // The peer ended its side: udx connections are closed, never half open.
    stream.on('end', () => this.destroy());
    stream.once('close', () => {
      this.isClosed = true;
      this.isDestroyed = true;
      this.held = [];
      if (this.heldBytes !== 0) {
        this.heldBytes = 0;
        this.onHeld(0);
      }
      this.emit('close');
    });
  }

  get destroyed(): boolean {
    return this.isDestroyed;
  }

  get writable(): boolean {
    return !this.isDestroyed;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get writableLength(): number {
    return this.bytesWritten - this.bytesAcked;
  }

  /** Round-trip time estimate of the stream, in milliseconds. */
  get rtt(): number {
    return this.stream.rtt;
  }

  /** udx sends at once; nothing to turn off. */
  setNoDelay(): this {
    return this;
  }

  /** Writes go to udx's native queue, which packs them into datagrams by itself. */
  cork(): void {}

  uncork(): void {}

  write(bytes: Uint8Array): boolean {
    if (this.isDestroyed || bytes.length === 0) return !this.isDestroyed;
    this.stream.write(bytes);
    this.bytesWritten += bytes.length;
    if (this.writableLength > this.writableHighWaterMark) this.needDrain = true;
    return !this.needDrain;
  }

  pause(): this {
    this.paused = true;
    return this;
  }

  resume(): this {
    if (!this.paused) return this;
    this.paused = false;
    while (this.held.length > 0 && !this.paused && !this.isDestroyed) {
      const chunk = this.held.shift()!;
      this.heldBytes -= chunk.length;
      this.emit('data', chunk);
    }
    if (this.held.length === 0 && !this.isDestroyed) this.onHeld(this.heldBytes);
    return this;
  }

  destroy(): this {
    if (this.isDestroyed) return this;
    this.isDestroyed = true;
    this.stream.destroy();
    return this;
  }

  private received(chunk: Buffer): void {
    if (this.isDestroyed) return;
    if (!this.paused) {
      this.emit('data', chunk);
      return;
    }
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (!this.onHeld(this.heldBytes)) this.destroy();
  }

  private acked(bytes: number): void {
    this.bytesAcked += bytes;
    if (this.needDrain && this.writableLength <= this.writableHighWaterMark) {
      this.needDrain = false;
      this.emit('drain');
    }
  }
}
