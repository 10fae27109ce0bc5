import { ApiKey, isFlexible } from './kafka-api.js';
import { KafkaProtocolError } from './kafka-error.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { splice } from './splice.js';

/** Partitions answered with one error, by topic (insertion order is kept). */
export type TopicPartitions = ReadonlyMap<string, readonly number[]>;

/** Writes the Produce response entries (versions 3-9) of `byTopic`, each partition answering `errorCode`. */
function writeTopicErrors(w: KafkaWriter, byTopic: TopicPartitions, version: number, errorCode: number, message: string): void {
  const compact = isFlexible(ApiKey.produce, version);
  for (const [topic, indexes] of byTopic) {
    w.string(topic, compact).arrayLength(indexes.length, compact);
    for (const index of indexes) {
      w.int32(index).int16(errorCode).int64(-1n).int64(-1n);
      if (version >= 5) w.int64(-1n);
      if (version >= 8) w.arrayLength(0, compact).string(message, compact);
      if (compact) w.uvarint(0);
    }
    if (compact) w.uvarint(0);
  }
}

/**
 * A whole Produce response (versions 3-9, response header included) answering `errorCode`
 * for every partition of `byTopic`; `message` is the partition error message (v8+).
 */
export function produceErrorResponse(correlationId: number, version: number, byTopic: TopicPartitions, errorCode: number, message: string): Buffer {
  const compact = isFlexible(ApiKey.produce, version);
  const w = new KafkaWriter(64 + byTopic.size * 80);
  w.int32(correlationId);
  if (compact) w.uvarint(0);
  w.arrayLength(byTopic.size, compact);
  writeTopicErrors(w, byTopic, version, errorCode, message);
  w.int32(0);
  if (compact) w.uvarint(0);
  return Buffer.from(w.finish());
}

/**
 * A copy of the broker's Produce response `payload` (versions 3-9, header included) with
 * the partitions of `byTopic` added, each answering `errorCode`: the answer to a request
 * of which only part was forwarded. Throws KafkaProtocolError when the response does not parse.
 */
export function addProduceErrors(payload: Buffer, version: number, byTopic: TopicPartitions, errorCode: number, message: string): Buffer {
  const compact = isFlexible(ApiKey.produce, version);
  const r = new KafkaReader(payload, 4);
  if (compact) r.skipTaggedFields();
  const countStart = r.pos;
  const count = r.arrayLength(compact);
  if (count < 0) throw new KafkaProtocolError('Produce response with a null topic array');
  const countEnd = r.pos;
  for (let t = 0; t < count; t++) {
    r.string(compact);
    const n = r.arrayLength(compact);
    for (let p = 0; p < n; p++) {
      r.skip(4 + 2 + 8 + 8, 'partition response');
      if (version >= 5) r.skip(8, 'log start offset');
      if (version >= 8) {
        const errors = r.arrayLength(compact);
        for (let e = 0; e < errors; e++) {
          r.skip(4, 'batch index');
          r.string(compact);
          if (compact) r.skipTaggedFields();
        }
        r.string(compact);
      }
      if (compact) r.skipTaggedFields();
    }
    if (compact) r.skipTaggedFields();
  }
  const at = r.pos;
  const countBytes = new KafkaWriter(5).arrayLength(count + byTopic.size, compact).finish();
  const w = new KafkaWriter(64 + byTopic.size * 80);
  writeTopicErrors(w, byTopic, version, errorCode, message);
  return splice(payload, [
    { start: countStart, end: countEnd, data: Buffer.from(countBytes) },
    { start: at, end: at, data: w.finish() },
  ]);
}
