/**
 * Appends Kafka protocol primitives to a growing buffer (the counterpart of KafkaReader),
 * for the parts of a frame the inlet re-encodes. `finish()` returns the bytes written.
 */
export class KafkaWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initial));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this { this.room(1); this.buf.writeInt8(v, this.pos); this.pos += 1; return this; }
  int16(v: number): this { this.room(2); this.buf.writeInt16BE(v, this.pos); this.pos += 2; return this; }
  int32(v: number): this { this.room(4); this.buf.writeInt32BE(v, this.pos); this.pos += 4; return this; }
  uint32(v: number): this { this.room(4); this.buf.writeUInt32BE(v >>> 0, this.pos); this.pos += 4; return this; }
  int64(v: bigint): this { this.room(8); this.buf.writeBigInt64BE(v, this.pos); this.pos += 8; return this; }

  /** Writes `int32` at an earlier offset (a length or CRC filled in afterwards). */
  patchInt32(at: number, v: number): void { this.buf.writeInt32BE(v, at); }
  patchUint32(at: number, v: number): void { this.buf.writeUInt32BE(v >>> 0, at); }

  uvarint(v: number): this {
    this.room(10);
    let n = v;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
    return this;
  }

  /** Zig-zag varint or varlong (safe integers). */
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A string with its length prefix (int16, or compact uvarint N+1); null writes -1 / 0. */
  string(s: string | null, compact: boolean): this {
    if (s === null) return compact ? this.uvarint(0) : this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    if (compact) this.uvarint(b.length + 1);
    else this.int16(b.length);
    return this.bytes(b);
  }

  /** An array length (int32, or compact uvarint N+1). */
  arrayLength(n: number, compact: boolean): this {
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }

  /** Forgets what was written (keeps the buffer). */
  reset(): void {
    this.pos = 0;
  }

  /** The bytes written (a view of the internal buffer: copy before writing more). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
