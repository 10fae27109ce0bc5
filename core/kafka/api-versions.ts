import { ApiKey, HIDDEN_APIS, MAX_VERSION, isFlexible } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { splice } from './splice.js';

/**
 * Lowers a broker's ApiVersions answer to what the inlet understands: the max version of
 * each API in MAX_VERSION is capped, the APIs in HIDDEN_APIS are removed; everything
 * else (throttle time, supported and finalized features, tagged fields) is copied. A
 * response with an error (e.g. UNSUPPORTED_VERSION, answered in v0 whatever was asked)
 * passes unchanged. `bodyStart` is where the body starts (ApiVersions responses never have
 * a tagged header).
 */
export function capApiVersions(payload: Buffer, bodyStart: number, version: number): Buffer {
  const r = new KafkaReader(payload, bodyStart);
  const errorCode = r.int16();
  if (errorCode !== 0) return payload;
  const compact = isFlexible(ApiKey.apiVersions, version);
  const arrayStart = r.pos;
  const count = r.arrayLength(compact);
  const w = new KafkaWriter(count * 8 + 8);
  let kept = 0;
  const entries = new KafkaWriter(count * 8);
  for (let i = 0; i < count; i++) {
    const entryStart = r.pos;
    const apiKey = r.int16();
    const min = r.int16();
    const max = r.int16();
    if (compact) r.skipTaggedFields();
    if (HIDDEN_APIS.has(apiKey)) continue;
    const cap = MAX_VERSION[apiKey];
    const capped = cap !== undefined && max > cap ? Math.max(cap, min) : max;
    entries.int16(apiKey).int16(min).int16(capped);
    entries.bytes(payload.subarray(entryStart + 6, r.pos));
    kept++;
  }
  w.arrayLength(kept, compact).bytes(entries.finish());
  return splice(payload, [{ start: arrayStart, end: r.pos, data: Buffer.from(w.finish()) }]);
}
