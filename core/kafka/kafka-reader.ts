import { KafkaProtocolError } from './kafka-error.js';

/**
 * A bounds-checked cursor over one Kafka frame: the primitive types of the Kafka protocol
 * (fixed-width big-endian integers, zig-zag and unsigned varints, strings, compact
 * strings and arrays, tagged fields). Every read checks the remaining length first and
 * throws {@link KafkaProtocolError}; nothing is copied (strings decode, bytes are subarrays).
 */
export class KafkaReader {
  /** Current offset into `buf`. */
  pos: number;

  constructor(readonly buf: Buffer, start = 0, private readonly end = buf.length) {
    this.pos = start;
  }

  /** Bytes left before the end. */
  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n < 0 || this.pos + n > this.end) throw new KafkaProtocolError(`truncated ${what} at offset ${this.pos}`);
  }

  int8(): number { this.need(1, 'int8'); return this.buf.readInt8(this.pos++); }
  int16(): number { this.need(2, 'int16'); const v = this.buf.readInt16BE(this.pos); this.pos += 2; return v; }
  int32(): number { this.need(4, 'int32'); const v = this.buf.readInt32BE(this.pos); this.pos += 4; return v; }
  uint32(): number { this.need(4, 'uint32'); const v = this.buf.readUInt32BE(this.pos); this.pos += 4; return v; }
  int64(): bigint { this.need(8, 'int64'); const v = this.buf.readBigInt64BE(this.pos); this.pos += 8; return v; }

  /** Skips `n` bytes. */
  skip(n: number, what = 'field'): void {
    this.need(n, what);
    this.pos += n;
  }

  /** An unsigned LEB128 varint of at most 5 bytes (32 bits). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, 'varint');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) throw new KafkaProtocolError('varint out of range');
        return value;
      }
    }
    throw new KafkaProtocolError('varint longer than 5 bytes');
  }

  /** A zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return (u % 2 === 0) ? u / 2 : -(u + 1) / 2;
  }

  /** A zig-zag signed varlong; values beyond 2^53 are refused (timestamps and offsets fit). */
  varlong(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      this.need(1, 'varlong');
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (!Number.isSafeInteger(value)) throw new KafkaProtocolError('varlong out of range');
        return (value % 2 === 0) ? value / 2 : -(value + 1) / 2;
      }
    }
    throw new KafkaProtocolError('varlong longer than 10 bytes');
  }

  /** Length of a (nullable) string or bytes: int16/int32, or compact (uvarint N+1); -1 is null. */
  length(kind: 'string' | 'bytes', compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : kind === 'string' ? this.int16() : this.int32();
    if (n < -1) throw new KafkaProtocolError(`negative ${kind} length ${n}`);
    if (n > this.remaining) throw new KafkaProtocolError(`${kind} length ${n} beyond the frame (${this.remaining} left)`);
    return n;
  }

  /** A (nullable) string; null for length -1. */
  string(compact: boolean): string | null {
    const n = this.length('string', compact);
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  /** (Nullable) bytes as a subarray of the frame; null for length -1. */
  bytes(compact: boolean): Buffer | null {
    const n = this.length('bytes', compact);
    if (n < 0) return null;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** Element count of an array (int32, or compact uvarint N+1); -1 is null. Bounded by the bytes left. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n < -1) throw new KafkaProtocolError(`negative array length ${n}`);
    if (n > this.remaining) throw new KafkaProtocolError(`array length ${n} beyond the frame`);
    return n;
  }

  /** Skips a tagged-field section (flexible versions). */
  skipTaggedFields(): void {
    const count = this.uvarint();
    if (count > this.remaining) throw new KafkaProtocolError(`tagged field count ${count} beyond the frame`);
    for (let i = 0; i < count; i++) {
      this.uvarint();
      const size = this.uvarint();
      this.skip(size, 'tagged field');
    }
  }
}
