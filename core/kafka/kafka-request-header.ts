import { KafkaProtocolError } from './kafka-error.js';
import { isFlexible } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';

/** The header of a Kafka request (v1 or v2), as far as the inlet needs it. */
export interface KafkaRequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Offset of the request body in the frame payload (only computed for the APIs in kafka-api.ts). */
  readonly bodyStart: number;
}

/**
 * Reads the request header at the start of a frame payload (after the size). `client_id`
 * is a plain nullable string in every header version; flexible versions end the header
 * with a tagged-field section. Throws KafkaProtocolError on a truncated header.
 */
export function readRequestHeader(payload: Buffer): KafkaRequestHeader {
  if (payload.length < 8) throw new KafkaProtocolError(`request of ${payload.length} bytes is shorter than its header`);
  const r = new KafkaReader(payload);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  let bodyStart = 8;
  if (r.remaining >= 2) {
    r.string(false);
    if (isFlexible(apiKey, apiVersion)) r.skipTaggedFields();
    bodyStart = r.pos;
  }
  return { apiKey, apiVersion, correlationId, bodyStart };
}
