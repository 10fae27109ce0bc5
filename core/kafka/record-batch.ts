import { crc32c } from './crc32c.js';
import { KafkaProtocolError } from './kafka-error.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';

/** Bytes of a v2 record batch header, up to and including the record count. */
export const BATCH_HEADER_SIZE = 61;
/** Offsets in a v2 record batch. */
const BATCH_LENGTH_AT = 8;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const COUNT_AT = 57;

/** Compression codec bits of the batch attributes. */
export const COMPRESSION_MASK = 0x07;
/** Control batch bit (transaction markers). */
const CONTROL_BIT = 0x20;

/** Names of the compression codecs by attribute value. */
export const COMPRESSION_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

/** One record header. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** One record of a v2 batch; `key`, `value` and header values are views of the frame. */
export interface KafkaRecord {
  readonly attributes: number;
  readonly timestampDelta: number;
  readonly offsetDelta: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RecordHeader[];
}

/** One batch found in a `records` field. */
export interface BatchSpan {
  readonly start: number;
  readonly end: number;
  /** The batch's magic byte (2 for every batch a Kafka 4 broker accepts). */
  readonly magic: number;
  /** True for the last batch when the field ends inside it (a Fetch response may cut the last batch). */
  readonly partial: boolean;
}

/**
 * Splits a `records` field into its batches: each is baseOffset (8 bytes), batchLength
 * (4 bytes, counting what follows) and the rest. A final batch cut short is reported as
 * `partial`; a batchLength that cannot hold a batch header is malformed.
 */
export function batchSpans(records: Buffer): BatchSpan[] {
  const spans: BatchSpan[] = [];
  let at = 0;
  while (at < records.length) {
    if (records.length - at < MAGIC_AT + 1) {
      spans.push({ start: at, end: records.length, magic: -1, partial: true });
      break;
    }
    const length = records.readInt32BE(at + BATCH_LENGTH_AT);
    if (length < 0 || (length < BATCH_HEADER_SIZE - 12 && records[at + MAGIC_AT] === 2)) throw new KafkaProtocolError(`record batch length ${length} too short`);
    const end = at + 12 + length;
    const magic = records[at + MAGIC_AT]!;
    if (end > records.length) {
      spans.push({ start: at, end: records.length, magic, partial: true });
      break;
    }
    spans.push({ start: at, end, magic, partial: false });
    at = end;
  }
  return spans;
}

/** The compression codec of a v2 batch (0: none). */
export function batchCompression(batch: Buffer): number {
  return batch.readInt16BE(ATTRIBUTES_AT) & COMPRESSION_MASK;
}

/** True for a control batch (transaction commit/abort markers). */
export function isControlBatch(batch: Buffer): boolean {
  return (batch.readInt16BE(ATTRIBUTES_AT) & CONTROL_BIT) !== 0;
}

/** Decodes the records of an uncompressed v2 batch (`batch` is exactly one batch). */
export function decodeRecords(batch: Buffer): KafkaRecord[] {
  if (batch.length < BATCH_HEADER_SIZE) throw new KafkaProtocolError('record batch shorter than its header');
  if (batch[MAGIC_AT] !== 2) throw new KafkaProtocolError(`record batch magic ${batch[MAGIC_AT]} (only v2 is supported)`);
  const count = batch.readInt32BE(COUNT_AT);
  if (count < 0 || count > batch.length) throw new KafkaProtocolError(`record count ${count} out of range`);
  const r = new KafkaReader(batch, BATCH_HEADER_SIZE);
  const records: KafkaRecord[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    if (length < 0 || length > r.remaining) throw new KafkaProtocolError(`record length ${length} out of range`);
    const end = r.pos + length;
    const rr = new KafkaReader(batch, r.pos, end);
    const attributes = rr.int8();
    const timestampDelta = rr.varlong();
    const offsetDelta = rr.varint();
    const key = varBytes(rr);
    const value = varBytes(rr);
    const headerCount = rr.varint();
    if (headerCount < 0 || headerCount > rr.remaining) throw new KafkaProtocolError(`header count ${headerCount} out of range`);
    const headers: RecordHeader[] = new Array(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const k = varBytes(rr);
      if (k === null) throw new KafkaProtocolError('record header without a key');
      headers[h] = { key: k.toString('utf8'), value: varBytes(rr) };
    }
    if (rr.remaining !== 0) throw new KafkaProtocolError('record longer than its fields');
    records[i] = { attributes, timestampDelta, offsetDelta, key, value, headers };
    r.pos = end;
  }
  if (r.remaining !== 0) throw new KafkaProtocolError('record batch longer than its records');
  return records;
}

function varBytes(r: KafkaReader): Buffer | null {
  const n = r.varint();
  if (n < -1) throw new KafkaProtocolError(`negative length ${n}`);
  if (n === -1) return null;
  r.skip(n, 'record bytes');
  return r.buf.subarray(r.pos - n, r.pos);
}

/**
 * A v2 batch with the header of `original` (offsets, timestamps, producer id and epoch,
 * sequence, attributes) and the given records, its batchLength and CRC-32C recomputed.
 * The record count must not change (sequence numbers and offset deltas depend on it).
 */
export function encodeBatch(original: Buffer, records: readonly KafkaRecord[]): Buffer {
  const w = new KafkaWriter(original.length + records.length * 64);
  w.bytes(original.subarray(0, BATCH_HEADER_SIZE));
  const body = new KafkaWriter(256);
  for (const rec of records) {
    body.int8(rec.attributes).varint(rec.timestampDelta).varint(rec.offsetDelta);
    writeVarBytes(body, rec.key);
    writeVarBytes(body, rec.value);
    body.varint(rec.headers.length);
    for (const h of rec.headers) {
      const k = Buffer.from(h.key, 'utf8');
      body.varint(k.length).bytes(k);
      writeVarBytes(body, h.value);
    }
    const bytes = body.finish();
    w.varint(bytes.length).bytes(bytes);
    body.reset();
  }
  const out = Buffer.from(w.finish());
  out.writeInt32BE(out.length - 12, BATCH_LENGTH_AT);
  out.writeInt32BE(records.length, COUNT_AT);
  out.writeUInt32BE(crc32c(out, ATTRIBUTES_AT), CRC_AT);
  return out;
}

function writeVarBytes(w: KafkaWriter, b: Uint8Array | null): void {
  if (b === null) w.varint(-1);
  else w.varint(b.length).bytes(b);
}

/** True when the batch's CRC-32C matches its contents. */
export function batchCrcValid(batch: Buffer): boolean {
  return batch.readUInt32BE(CRC_AT) === crc32c(batch, ATTRIBUTES_AT);
}
