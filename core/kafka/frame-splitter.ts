import { KafkaProtocolError } from './kafka-error.js';

/** Smallest payload a Kafka frame can have: a request header (api key, version, correlation id). */
const MIN_FRAME = 4;

/**
 * Cuts a byte stream into Kafka frames (int32 big-endian size, then that many bytes). The
 * size is checked against `maxFrameBytes` before anything is buffered for it; a frame
 * outside [4, maxFrameBytes] throws KafkaProtocolError (the caller closes the connection).
 */
export class FrameSplitter {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private need = -1;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes held for frames not complete yet. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Adds `chunk` and returns the payloads of the frames it completed (without their size). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < 4) break;
        const head = this.take(4);
        const size = head.readInt32BE(0);
        if (size < MIN_FRAME || size > this.maxFrameBytes) throw new KafkaProtocolError(`frame size ${size} outside [${MIN_FRAME}, ${this.maxFrameBytes}]`);
        this.need = size;
      }
      if (this.buffered < this.need) break;
      frames.push(this.take(this.need));
      this.need = -1;
    }
    return frames;
  }

  /** Removes and returns the next `n` buffered bytes (a subarray when they sit in one chunk). */
  private take(n: number): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - filled);
        c.copy(out, filled, 0, k);
        filled += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }
}

/** A frame: the int32 size followed by `payload`. */
export function frame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.set(payload, 4);
  return out;
}
