import { ApiKey, isFlexible } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { splice } from './splice.js';

/** One topic of a Produce request: its name, partitions, and where its entry sits in the frame. */
export interface ProduceTopic {
  readonly name: string;
  readonly partitions: readonly number[];
  /** Offsets of the whole topic entry in the frame payload. */
  readonly start: number;
  readonly end: number;
}

/** The topics of a Produce request, as the outlet's produce check reads them. */
export interface ProduceTopics {
  readonly acks: number;
  readonly topics: readonly ProduceTopic[];
  /** Offsets of the topic array's length prefix. */
  readonly countStart: number;
  readonly countEnd: number;
}

/**
 * Reads the topics and partitions of a Produce request (versions 3-9, plain and flexible;
 * `bodyStart` from the request header) without looking into the record batches. Every
 * read is bounds-checked: a truncated frame throws KafkaProtocolError.
 */
export function readProduceTopics(payload: Buffer, bodyStart: number, version: number): ProduceTopics {
  const compact = isFlexible(ApiKey.produce, version);
  const r = new KafkaReader(payload, bodyStart);
  r.string(compact);
  const acks = r.int16();
  r.int32();
  const countStart = r.pos;
  const count = r.arrayLength(compact);
  const countEnd = r.pos;
  const topics: ProduceTopic[] = [];
  for (let t = 0; t < count; t++) {
    const start = r.pos;
    const name = r.string(compact) ?? '';
    const partitions: number[] = [];
    const n = r.arrayLength(compact);
    for (let p = 0; p < n; p++) {
      partitions.push(r.int32());
      r.bytes(compact);
      if (compact) r.skipTaggedFields();
    }
    if (compact) r.skipTaggedFields();
    topics.push({ name, partitions, start, end: r.pos });
  }
  if (compact) r.skipTaggedFields();
  return { acks, topics, countStart, countEnd };
}

/** A copy of the Produce request `payload` that keeps only the topics `keep` (a subset of `parsed.topics`, in order). */
export function keepProduceTopics(payload: Buffer, parsed: ProduceTopics, keep: readonly ProduceTopic[], version: number): Buffer {
  const compact = isFlexible(ApiKey.produce, version);
  const count = Buffer.from(new KafkaWriter(5).arrayLength(keep.length, compact).finish());
  const kept = new Set(keep);
  return splice(payload, [
    { start: parsed.countStart, end: parsed.countEnd, data: count },
    ...parsed.topics.filter((t) => !kept.has(t)).map((t) => ({ start: t.start, end: t.end, data: new Uint8Array(0) })),
  ]);
}
