import { ApiKey, isFlexible } from './kafka-api.js';
import { KafkaProtocolError } from './kafka-error.js';
import { KafkaReader } from './kafka-reader.js';
import { KafkaWriter } from './kafka-writer.js';
import { splice, type Replacement } from './splice.js';

/** Where one broker's host and port sit in a response body. */
export interface EndpointSpan {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
  /** Offset of the host's length prefix. */
  readonly hostStart: number;
  /** Offset just after the port (host and port are adjacent in every version). */
  readonly portEnd: number;
}

/** A broker endpoint as an address the client can connect to. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * The broker endpoints in a Metadata response body (`payload` from `bodyStart`), versions
 * 0-12: the `brokers` array (node_id, host, port, rack from v1), after throttle_time_ms
 * from v3; compact encodings and per-broker tagged fields from v9. The rest of the body is
 * not parsed.
 */
export function metadataEndpoints(payload: Buffer, bodyStart: number, version: number): EndpointSpan[] {
  const compact = isFlexible(ApiKey.metadata, version);
  const r = new KafkaReader(payload, bodyStart);
  if (version >= 3) r.int32();
  const count = r.arrayLength(compact);
  const spans: EndpointSpan[] = [];
  for (let i = 0; i < count; i++) {
    const nodeId = r.int32();
    const hostStart = r.pos;
    const host = r.string(compact);
    const port = r.int32();
    const portEnd = r.pos;
    if (version >= 1) r.string(compact);
    if (compact) r.skipTaggedFields();
    if (host === null) throw new KafkaProtocolError('metadata broker without a host');
    spans.push({ nodeId, host, port, hostStart, portEnd });
  }
  return spans;
}

/**
 * The coordinator endpoints in a FindCoordinator response body, versions 0-5: one
 * (error_code, node_id, host, port) up to v3 (throttle_time_ms and error_message from v1),
 * an array of coordinators from v4. Entries with node_id -1 (errors) are left out.
 */
export function findCoordinatorEndpoints(payload: Buffer, bodyStart: number, version: number): EndpointSpan[] {
  const compact = isFlexible(ApiKey.findCoordinator, version);
  const r = new KafkaReader(payload, bodyStart);
  const spans: EndpointSpan[] = [];
  const one = (): void => {
    const nodeId = r.int32();
    const hostStart = r.pos;
    const host = r.string(compact);
    const port = r.int32();
    if (nodeId >= 0 && host !== null) spans.push({ nodeId, host, port, hostStart, portEnd: r.pos });
  };
  if (version >= 1) r.int32();
  if (version <= 3) {
    r.int16();
    if (version >= 1) r.string(compact);
    one();
    return spans;
  }
  const count = r.arrayLength(true);
  for (let i = 0; i < count; i++) {
    r.string(true);
    one();
    r.int16();
    r.string(true);
    r.skipTaggedFields();
  }
  return spans;
}

/** A copy of `payload` with each span's host and port replaced by `endpoints.get(nodeId)` (spans without one stay). */
export function rewriteEndpoints(payload: Buffer, spans: readonly EndpointSpan[], compact: boolean, endpoints: ReadonlyMap<number, Endpoint>): Buffer {
  const replacements: Replacement[] = [];
  for (const span of spans) {
    const to = endpoints.get(span.nodeId);
    if (to === undefined) continue;
    const w = new KafkaWriter(to.host.length + 8).string(to.host, compact).int32(to.port);
    replacements.push({ start: span.hostStart, end: span.portEnd, data: Buffer.from(w.finish()) });
  }
  return splice(payload, replacements);
}
