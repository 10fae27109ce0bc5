/** Receives what a {@link FrameDecoder} finds. */
export interface FrameSink {
  /** A complete frame body (never empty). May be a view into the pushed chunk. */
  onFrame(body: Uint8Array): void;
  /** A zero-length frame: a heartbeat. */
  onHeartbeat(): void;
}

/** Bytes of a frame header: the u32 big-endian body length. */
export const FRAME_HEADER_SIZE = 4;

/**
 * Splits a byte stream into frames of u32 big-endian length + body. The length is checked
 * against `maxFrameSize` before anything is allocated; a frame that arrives whole inside one
 * chunk is passed on as a view, otherwise it is assembled in one exact-size buffer.
 * After an oversized length the decoder stops for good (`oversizedLength` says why).
 */
export class FrameDecoder {
  /** The offending length once an oversized frame was announced; null otherwise. */
  oversizedLength: number | null = null;
  private readonly header = new Uint8Array(FRAME_HEADER_SIZE);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyFill = 0;
  private halted = false;

  constructor(
    private readonly maxFrameSize: number,
    private readonly sink: FrameSink,
  ) {}

  /** Stops decoding; later pushes are ignored (e.g. after the connection closed). */
  halt(): void {
    this.halted = true;
  }

  /** Feeds bytes. Returns false once the stream was rejected (oversized frame) or halted. */
  push(chunk: Uint8Array): boolean {
    let at = 0;
    const end = chunk.length;
    while (at < end && !this.halted) {
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyFill, end - at);
        this.body.set(chunk.subarray(at, at + take), this.bodyFill);
        this.bodyFill += take;
        at += take;
        if (this.bodyFill === this.body.length) {
          const body = this.body;
          this.body = null;
          this.sink.onFrame(body);
        }
        continue;
      }
      let length: number;
      if (this.headerFill === 0 && end - at >= FRAME_HEADER_SIZE) {
        length = ((chunk[at]! << 24) >>> 0) + (chunk[at + 1]! << 16) + (chunk[at + 2]! << 8) + chunk[at + 3]!;
        at += FRAME_HEADER_SIZE;
      } else {
        const take = Math.min(FRAME_HEADER_SIZE - this.headerFill, end - at);
        this.header.set(chunk.subarray(at, at + take), this.headerFill);
        this.headerFill += take;
        at += take;
        if (this.headerFill < FRAME_HEADER_SIZE) break;
        this.headerFill = 0;
        const h = this.header;
        length = ((h[0]! << 24) >>> 0) + (h[1]! << 16) + (h[2]! << 8) + h[3]!;
      }
      if (length > this.maxFrameSize) {
        this.oversizedLength = length;
        this.halted = true;
        return false;
      }
      if (length === 0) {
        this.sink.onHeartbeat();
      } else if (end - at >= length) {
        this.sink.onFrame(chunk.subarray(at, at + length));
        at += length;
      } else {
        this.body = Buffer.allocUnsafe(length);
        this.bodyFill = 0;
      }
    }
    return !this.halted;
  }
}
