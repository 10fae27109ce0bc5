import { ApiKey, KafkaErrorCode, isFlexible } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { produceErrorResponse } from './produce-response.js';
import { FIELDS_HEADER, KEY_HEADER, sealFields, sealValue, type DataKey } from './record-cipher.js';
import { COMPRESSION_NAMES, batchCompression, batchSpans, decodeRecords, encodeBatch, isControlBatch } from './record-batch.js';
import { splice, type Replacement } from './splice.js';

/** One partition a Produce request writes to. */
interface PartitionRecords {
  readonly topic: string;
  readonly index: number;
  /** Offsets of the records field, length prefix included. */
  readonly start: number;
  readonly end: number;
  readonly records: Buffer | null;
}

/** What {@link sealProduceRequest} made of a Produce request. */
export type SealedProduce =
  | { readonly kind: 'forward'; readonly payload: Buffer; readonly acks: number; readonly records: number }
  | { readonly kind: 'refuse'; readonly response: Buffer; readonly acks: number; readonly reason: string };

/**
 * Encrypts every record value of a Produce request (versions 3-9; `payload` is the frame
 * after its size, `bodyStart` where the body starts): each uncompressed v2 batch is
 * re-encoded with sealed values and a `symbolon-key` header, its CRC recomputed. With
 * `encryptedFields`, a value that is a JSON object keeps its shape and only those fields
 * are encrypted (header `symbolon-fields` lists them); any other value is encrypted whole. Null
 * values (tombstones) and control batches stay as they are. A compressed batch or a batch
 * that is not v2 makes the whole request refused: the answer is a Produce response with
 * UNSUPPORTED_COMPRESSION_TYPE (or INVALID_RECORD) for each partition, built here.
 */
export function sealProduceRequest(payload: Buffer, bodyStart: number, version: number, correlationId: number, keyFor: (topic: string) => DataKey, encryptedFields?: readonly string[]): SealedProduce {
  const compact = isFlexible(ApiKey.produce, version);
  const r = new KafkaReader(payload, bodyStart);
  r.string(compact);
  const acks = r.int16();
  r.int32();
  const partitions: PartitionRecords[] = [];
  const topicCount = r.arrayLength(compact);
  for (let t = 0; t < topicCount; t++) {
    const topic = r.string(compact) ?? '';
    const count = r.arrayLength(compact);
    for (let p = 0; p < count; p++) {
      const index = r.int32();
      const start = r.pos;
      const records = r.bytes(compact);
      partitions.push({ topic, index, start, end: r.pos, records });
      if (compact) r.skipTaggedFields();
    }
    if (compact) r.skipTaggedFields();
  }
  const replacements: Replacement[] = [];
  let sealed = 0;
  for (const part of partitions) {
    if (part.records === null || part.records.length === 0) continue;
    const out: Buffer[] = [];
    for (const span of batchSpans(part.records)) {
      const batch = part.records.subarray(span.start, span.end);
      if (span.partial || span.magic !== 2) {
        return refuse(payload, version, correlationId, acks, partitions, KafkaErrorCode.invalidRecord, `topic ${part.topic}: a record batch that is not a complete v2 batch`);
      }
      const codec = batchCompression(batch);
      if (codec !== 0) {
        return refuse(payload, version, correlationId, acks, partitions, KafkaErrorCode.unsupportedCompressionType,
          `topic ${part.topic}: ${COMPRESSION_NAMES[codec] ?? `codec ${codec}`}-compressed batches cannot be encrypted (produce uncompressed: the inlet encrypts each record, and ciphertext does not compress)`);
      }
      if (isControlBatch(batch)) {
        out.push(batch);
        continue;
      }
      const key = keyFor(part.topic);
      const keyHeader = { key: KEY_HEADER, value: Buffer.from(key.id, 'latin1') };
      const records = decodeRecords(batch).map((rec) => {
        if (rec.value === null) return rec;
        sealed++;
        if (encryptedFields !== undefined && encryptedFields.length > 0) {
          const byField = sealFields(key, rec.value, encryptedFields);
          if (byField !== undefined) {
            return { ...rec, value: byField.value, headers: [...rec.headers, keyHeader, { key: FIELDS_HEADER, value: Buffer.from(byField.fields.join(','), 'utf8') }] };
          }
        }
        return { ...rec, value: sealValue(key, rec.value), headers: [...rec.headers, keyHeader] };
      });
      out.push(encodeBatch(batch, records));
    }
    const bytes = Buffer.concat(out);
    const prefix = compact ? new KafkaWriter(5).uvarint(bytes.length + 1) : new KafkaWriter(4).int32(bytes.length);
    replacements.push({ start: part.start, end: part.end, data: Buffer.concat([prefix.finish(), bytes]) });
  }
  return { kind: 'forward', payload: splice(payload, replacements), acks, records: sealed };
}

/** A Produce response (same version) answering `errorCode` for every partition of the request. */
function refuse(payload: Buffer, version: number, correlationId: number, acks: number, partitions: readonly PartitionRecords[], errorCode: number, reason: string): SealedProduce {
  void payload;
  const byTopic = new Map<string, number[]>();
  for (const p of partitions) {
    let list = byTopic.get(p.topic);
    if (!list) byTopic.set(p.topic, list = []);
    list.push(p.index);
  }
  return { kind: 'refuse', response: produceErrorResponse(correlationId, version, byTopic, errorCode, reason), acks, reason };
}
