/** Receives what a {@link FrameDecoder} finds. */
export interface FrameSink {
  /** A complete frame body (never empty). May be a view into the pushed chunk. */
  onFrame(body: Uint8Array): void;
  /** A zero-length frame: a heartbeat. */
  onHeartbeat(): void;
}

/** Bytes of a frame header: the u32 big-endian body length. */
export const FRAME_HEADER_SIZE = 4;

/** Where a decoder accounts the memory of frames it holds in part (e.g. a node-wide budget). */
export interface FrameBudget {
  /** Takes `bytes` more; false refuses (the decoder then stops: `overBudget`). */
  reserve(bytes: number): boolean;
  /** Gives `bytes` back. */
  release(bytes: number): void;
}

/** First allocation for a frame that did not arrive whole; it grows (doubling) as its bytes arrive. */
const INITIAL_PARTIAL_BYTES = 16 * 1024;

/**
 * Splits a byte stream into frames of u32 big-endian length + body. The length is checked
 * against `maxFrameSize` before anything is allocated; a frame that arrives whole inside one
 * chunk is passed on as a view, otherwise it is assembled in a buffer that grows with the
 * bytes received (charged to the optional budget). After an oversized length, or when the
 * budget refuses, the decoder stops for good (`oversizedLength`, `overBudget` say why).
 */
export class FrameDecoder {
  /** The offending length once an oversized frame was announced; null otherwise. */
  oversizedLength: number | null = null;
  /** True once the budget refused memory for a partly received frame (the decoder stopped). */
  overBudget = false;
  private readonly header = new Uint8Array(FRAME_HEADER_SIZE);
  private headerFill = 0;
  private body: Uint8Array | null = null;
  private bodyLength = 0;
  private bodyFill = 0;
  private halted = false;

  constructor(
    private readonly maxFrameSize: number,
    private readonly sink: FrameSink,
    private readonly budget?: FrameBudget,
  ) {}

  /** Bytes held for a partly received frame now. */
  get heldBytes(): number {
    return this.body === null ? 0 : this.body.length;
  }

  /** Stops decoding and gives back what a partly received frame held; later pushes are ignored. */
  halt(): void {
    this.halted = true;
    this.dropBody();
  }

  /** Feeds bytes. Returns false once the stream was rejected (oversized frame) or halted. */
  push(chunk: Uint8Array): boolean {
    let at = 0;
    const end = chunk.length;
    while (at < end && !this.halted) {
      if (this.body !== null) {
        const take = Math.min(this.bodyLength - this.bodyFill, end - at);
        if (this.bodyFill + take > this.body.length && !this.grow(this.bodyFill + take)) return false;
        this.body.set(chunk.subarray(at, at + take), this.bodyFill);
        this.bodyFill += take;
        at += take;
        if (this.bodyFill === this.bodyLength) {
          const body = this.body;
          this.dropBody();
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
        // Memory follows the bytes that arrived, not the length announced: a peer that
        // announces large frames and sends little makes the node hold little.
        const capacity = Math.min(length, Math.max(INITIAL_PARTIAL_BYTES, 2 * (end - at)));
        if (this.budget !== undefined && !this.budget.reserve(capacity)) return this.refuse();
        this.body = Buffer.allocUnsafe(capacity);
        this.bodyLength = length;
        this.bodyFill = 0;
      }
    }
    return !this.halted;
  }

  /** Grows the partial frame's buffer to hold at least `needed` bytes (doubling, up to its length). */
  private grow(needed: number): boolean {
    const old = this.body!;
    const capacity = Math.min(this.bodyLength, Math.max(needed, 2 * old.length));
    if (this.budget !== undefined && !this.budget.reserve(capacity - old.length)) return this.refuse();
    const body = Buffer.allocUnsafe(capacity);
    body.set(old.subarray(0, this.bodyFill), 0);
    this.body = body;
    return true;
  }

  private refuse(): false {
    this.overBudget = true;
    this.halted = true;
    this.dropBody();
    return false;
  }

  private dropBody(): void {
    if (this.body !== null) this.budget?.release(this.body.length);
    this.body = null;
    this.bodyLength = 0;
    this.bodyFill = 0;
  }
}
