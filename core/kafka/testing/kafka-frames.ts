import { KafkaWriter } from '../kafka-writer.js';
import { encodeBatch, type KafkaRecord } from '../record-batch.js';

/** A v2 record batch (uncompressed unless `attributes` says otherwise) holding `values`, for tests. */
export function makeBatch(values: readonly (string | null)[], options: { attributes?: number; baseOffset?: bigint } = {}): Buffer {
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(options.baseOffset ?? 0n, 0);
  header.writeInt8(2, 16);
  header.writeInt16BE(options.attributes ?? 0, 21);
  header.writeInt32BE(values.length - 1, 23);
  header.writeBigInt64BE(1_700_000_000_000n, 27);
  header.writeBigInt64BE(1_700_000_000_000n, 35);
  header.writeBigInt64BE(-1n, 43);
  header.writeInt16BE(-1, 51);
  header.writeInt32BE(-1, 53);
  const records: KafkaRecord[] = values.map((v, i) => ({
    attributes: 0, timestampDelta: i, offsetDelta: i, key: Buffer.from(`k${i}`), value: v === null ? null : Buffer.from(v), headers: [{ key: 'h', value: Buffer.from('x') }],
  }));
  return encodeBatch(header, records);
}

/** A Produce request payload (header v1/v2 and body) writing `records` to one partition of `topic`. */
export function produceRequest(version: number, topic: string, records: Buffer, correlationId = 7): Buffer {
  const flexible = version >= 9;
  const w = new KafkaWriter(256).int16(0).int16(version).int32(correlationId).string('test', false);
  if (flexible) w.uvarint(0);
  w.string(null, flexible).int16(-1).int32(30_000);
  w.arrayLength(1, flexible).string(topic, flexible).arrayLength(1, flexible).int32(0);
  if (flexible) w.uvarint(records.length + 1);
  else w.int32(records.length);
  w.bytes(records);
  if (flexible) w.uvarint(0).uvarint(0).uvarint(0);
  return Buffer.from(w.finish());
}

/** The records field of the one partition of a Produce request made by {@link produceRequest}. */
export function producedRecords(payload: Buffer, version: number, topic: string): Buffer {
  const flexible = version >= 9;
  let at = 8 + 2 + 4 + (flexible ? 1 : 0); // header (client id "test")
  at += flexible ? 1 : 2; // null transactional id
  at += 2 + 4 + (flexible ? 1 : 4) + (flexible ? 1 : 2) + Buffer.byteLength(topic) + (flexible ? 1 : 4) + 4;
  if (flexible) {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = payload[at++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    return payload.subarray(at, at + n - 1);
  }
  const n = payload.readInt32BE(at);
  return payload.subarray(at + 4, at + 4 + n);
}

/** A Fetch response payload (correlation id, header tags when flexible, body) with `records` for partition 0 of `topic`. */
export function fetchResponse(version: number, topic: string, records: Buffer | null, correlationId = 9): Buffer {
  const flexible = version >= 12;
  const w = new KafkaWriter(256).int32(correlationId);
  if (flexible) w.uvarint(0);
  w.int32(0);
  if (version >= 7) w.int16(0).int32(0);
  w.arrayLength(1, flexible).string(topic, flexible).arrayLength(1, flexible);
  w.int32(0).int16(0).int64(100n).int64(100n);
  if (version >= 5) w.int64(0n);
  w.arrayLength(-1, flexible);
  if (version >= 11) w.int32(-1);
  if (records === null) {
    if (flexible) w.uvarint(0);
    else w.int32(-1);
  } else {
    if (flexible) w.uvarint(records.length + 1);
    else w.int32(records.length);
    w.bytes(records);
  }
  if (flexible) w.uvarint(0).uvarint(0).uvarint(0);
  return Buffer.from(w.finish());
}

/** The records field of the one partition of a Fetch response laid out as {@link fetchResponse} does. */
export function fetchedRecords(payload: Buffer, version: number, topic: string): Buffer {
  const flexible = version >= 12;
  let at = 4 + (flexible ? 1 : 0) + 4 + (version >= 7 ? 6 : 0);
  at += (flexible ? 1 : 4) + (flexible ? 1 : 2) + Buffer.byteLength(topic) + (flexible ? 1 : 4);
  at += 4 + 2 + 8 + 8 + (version >= 5 ? 8 : 0) + (flexible ? 1 : 4) + (version >= 11 ? 4 : 0);
  if (flexible) {
    let n = 0;
    let shift = 0;
    for (;;) {
      const b = payload[at++]!;
      n += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    return payload.subarray(at, at + n - 1);
  }
  const n = payload.readInt32BE(at);
  return payload.subarray(at + 4, at + 4 + n);
}
