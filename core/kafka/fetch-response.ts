import { ApiKey, KafkaErrorCode, isFlexible } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { isDataKey, keyFailureText, type KeyAnswer } from './key-answer.js';
import { FIELDS_HEADER, KEY_HEADER, openFields, openValue } from './record-cipher.js';
import { batchCompression, batchSpans, decodeRecords, encodeBatch, isControlBatch, type KafkaRecord } from './record-batch.js';
import { splice, type Replacement } from './splice.js';

/** One decoded batch of a partition: its bytes and, for an uncompressed data batch, its records. */
interface Batch {
  readonly bytes: Buffer;
  readonly records?: KafkaRecord[];
}

/** One partition of a Fetch response with encrypted records in it. */
interface Partition {
  readonly topic: string;
  readonly errorCodeAt: number;
  readonly start: number;
  readonly end: number;
  readonly batches: Batch[];
}

/** A Fetch response parsed far enough to decrypt it: the key ids it needs, then {@link FetchResponse.open}. */
export interface FetchResponse {
  /** The data key ids named by records of the response, with their topic. */
  readonly keyIds: ReadonlyMap<string, string>;
  /**
   * The response with every sealed value opened (its `symbolon-key` header kept, so the
   * consumer can tell a record that was encrypted end to end). A partition whose key the
   * producer's node refused (or `undefined` from `keys`) answers TOPIC_AUTHORIZATION_FAILED
   * with no records; one whose key could not be asked for (producer's node unreachable)
   * answers NETWORK_EXCEPTION (retriable) with no records; a value that does not verify
   * answers CORRUPT_MESSAGE with no records. A partial batch at
   * the end of a rewritten partition is dropped (the client fetches it again). Partitions
   * without encrypted records pass byte for byte.
   */
  open(keys: ReadonlyMap<string, KeyAnswer | undefined>, problems?: (topic: string, why: string) => void): Buffer;
}

/**
 * Parses a Fetch response body (versions 4-12; `bodyStart` after the header) and decodes
 * the uncompressed v2 batches of each partition that hold records with a `symbolon-key`
 * header. Compressed batches (only produced directly to the broker: the inlet refuses
 * them) pass unchanged.
 */
export function parseFetchResponse(payload: Buffer, bodyStart: number, version: number): FetchResponse {
  const compact = isFlexible(ApiKey.fetch, version);
  const r = new KafkaReader(payload, bodyStart);
  r.int32();
  if (version >= 7) {
    r.int16();
    r.int32();
  }
  const partitions: Partition[] = [];
  const keyIds = new Map<string, string>();
  const topics = r.arrayLength(compact);
  for (let t = 0; t < topics; t++) {
    const topic = r.string(compact) ?? '';
    const count = r.arrayLength(compact);
    for (let p = 0; p < count; p++) {
      r.int32();
      const errorCodeAt = r.pos;
      r.int16();
      r.int64();
      r.int64();
      if (version >= 5) r.int64();
      const aborted = r.arrayLength(compact);
      for (let a = 0; a < aborted; a++) {
        r.int64();
        r.int64();
        if (compact) r.skipTaggedFields();
      }
      if (version >= 11) r.int32();
      const start = r.pos;
      const records = r.bytes(compact);
      const end = r.pos;
      if (compact) r.skipTaggedFields();
      if (records === null || records.length === 0) continue;
      const batches: Batch[] = [];
      let sealed = false;
      for (const span of batchSpans(records)) {
        if (span.partial) break;
        const bytes = records.subarray(span.start, span.end);
        if (span.magic !== 2 || batchCompression(bytes) !== 0 || isControlBatch(bytes)) {
          batches.push({ bytes });
          continue;
        }
        const decoded = decodeRecords(bytes);
        let named = false;
        for (const rec of decoded) {
          const id = keyIdOf(rec);
          if (id !== undefined) {
            named = true;
            if (id !== MALFORMED) keyIds.set(id, topic);
          }
        }
        batches.push(named ? { bytes, records: decoded } : { bytes });
        sealed ||= named;
      }
      if (sealed) partitions.push({ topic, errorCodeAt, start, end, batches });
    }
    if (compact) r.skipTaggedFields();
  }
  return {
    keyIds,
    open(keys, problems) {
      const replacements: Replacement[] = [];
      for (const part of partitions) {
        let error = 0;
        const out: Buffer[] = [];
        for (const batch of part.batches) {
          if (batch.records === undefined) {
            out.push(batch.bytes);
            continue;
          }
          const opened: KafkaRecord[] = [];
          for (const rec of batch.records) {
            const id = keyIdOf(rec);
            if (id === undefined || rec.value === null) {
              opened.push(rec);
              continue;
            }
            if (id === MALFORMED) {
              error = KafkaErrorCode.corruptMessage;
              problems?.(part.topic, 'a record with a malformed symbolon-key header');
              break;
            }
            const key = keys.get(id);
            if (!isDataKey(key)) {
              error = key?.kind === 'unreachable' ? KafkaErrorCode.networkException : KafkaErrorCode.topicAuthorizationFailed;
              problems?.(part.topic, keyFailureText(id, key));
              break;
            }
            try {
              const fields = rec.headers.find((h) => h.key === FIELDS_HEADER);
              const value = fields === undefined ? openValue(key, rec.value) : openFields(key, rec.value, fieldList(fields.value));
              opened.push({ ...rec, value });
            } catch (e) {
              error = KafkaErrorCode.corruptMessage;
              problems?.(part.topic, (e as Error).message);
              break;
            }
          }
          if (error !== 0) break;
          out.push(encodeBatch(batch.bytes, opened));
        }
        const bytes = error !== 0 ? Buffer.alloc(0) : Buffer.concat(out);
        if (error !== 0) replacements.push({ start: part.errorCodeAt, end: part.errorCodeAt + 2, data: new KafkaWriter(2).int16(error).finish() });
        const prefix = compact ? new KafkaWriter(5).uvarint(bytes.length + 1) : new KafkaWriter(4).int32(bytes.length);
        replacements.push({ start: part.start, end: part.end, data: Buffer.concat([prefix.finish(), bytes]) });
      }
      return splice(payload, replacements);
    },
  };
}

/** What keyIdOf returns for a `symbolon-key` header that is not 32 hex digits. */
const MALFORMED = 'malformed';

/** The data key id a record names in its `symbolon-key` header, if any. */
function keyIdOf(rec: KafkaRecord): string | undefined {
  for (const h of rec.headers) {
    if (h.key !== KEY_HEADER) continue;
    if (h.value === null || h.value.length !== 32 || !/^[0-9a-f]{32}$/.test(h.value.toString('latin1'))) return MALFORMED;
    return h.value.toString('latin1');
  }
  return undefined;
}

/** The field names of a `symbolon-fields` header. */
function fieldList(value: Buffer | null): string[] {
  const text = value?.toString('utf8') ?? '';
  return text === '' ? [] : text.split(',');
}
