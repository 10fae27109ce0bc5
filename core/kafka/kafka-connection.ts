import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { capApiVersions } from './api-versions.js';
import { findCoordinatorEndpoints, metadataEndpoints, rewriteEndpoints, type Endpoint, type EndpointSpan } from './broker-endpoints.js';
import { parseFetchResponse } from './fetch-response.js';
import { FrameSplitter, frame } from './frame-splitter.js';
import { ApiKey, MAX_VERSION, isFlexible, responseHeaderTagged } from './kafka-api.js';
import { KafkaProtocolError } from './kafka-error.js';
import { KafkaReader } from './kafka-reader.js';
import { readRequestHeader } from './kafka-request-header.js';
import { sealProduceRequest } from './produce-request.js';
import type { KeyAnswer } from './key-answer.js';
import type { DataKey } from './record-cipher.js';

/** Counters of a Kafka inlet, shared by its connections. */
export interface KafkaInletCounters {
  connections: number;
  requests: number;
  /** Client connections closed for a malformed or oversized frame, or a version the inlet does not understand. */
  malformed: number;
  /** Record values encrypted in Produce requests. */
  sealedRecords: number;
  /** Produce requests refused (compressed or non-v2 batches). */
  refusedProduce: number;
  /** Fetch partitions answered with TOPIC_AUTHORIZATION_FAILED or CORRUPT_MESSAGE. */
  refusedPartitions: number;
}

/** What a connection needs from its inlet. */
export interface KafkaConnectionHost {
  readonly maxFrameBytes: number;
  readonly logger: Logger;
  readonly counters: KafkaInletCounters;
  /** Local endpoints (inlet listeners) for broker ids, created on demand. */
  endpoints(ids: readonly number[]): Promise<ReadonlyMap<number, Endpoint>>;
  /** Encryption: the current data key of a topic (undefined: records pass unencrypted). */
  readonly keyFor?: (topic: string) => DataKey;
  /** Encrypt only these top-level fields of JSON object values (`--encrypted-field`). */
  readonly encryptedFields?: readonly string[];
  /** Decryption: the data keys for these ids (id -> topic); a refused or unknown id is absent. */
  readonly keys?: (ids: ReadonlyMap<string, string>) => Promise<ReadonlyMap<string, KeyAnswer | undefined>>;
  /** Records why the inlet closed a connection or refused something (status `lastError`). */
  problem(why: string): void;
}

interface Pending {
  readonly correlationId: number;
  readonly apiKey: number;
  readonly version: number;
  /** A response the inlet answers itself, sent in its turn. */
  readonly local?: Buffer;
}

/**
 * One client connection of a Kafka inlet, proxied to `upstream` (a portal inlet's local
 * port, i.e. one broker through the portal). Requests pass byte for byte except Produce
 * (values encrypted when `keyFor` is set); responses pass byte for byte except
 * ApiVersions (versions capped), Metadata and FindCoordinator (broker endpoints rewritten
 * to the inlet's listeners) and Fetch (values decrypted when `keys` is set). Responses
 * keep the order of their requests. A malformed frame closes this connection only.
 */
export class KafkaConnection {
  private readonly requests: FrameSplitter;
  private readonly responses: FrameSplitter;
  private readonly pending: Pending[] = [];
  private readonly queue: Buffer[] = [];
  private pumping = false;
  private closed = false;

  constructor(private readonly host: KafkaConnectionHost, private readonly client: Socket, private readonly upstream: Socket) {
    this.requests = new FrameSplitter(host.maxFrameBytes);
    this.responses = new FrameSplitter(host.maxFrameBytes);
    host.counters.connections++;
    client.on('data', (chunk: Buffer) => this.onRequestBytes(chunk));
    upstream.on('data', (chunk: Buffer) => this.onResponseBytes(chunk));
    const end = (): void => this.close();
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
      s.on('end', end);
    }
    client.on('drain', () => { if (!this.pumping) upstream.resume(); });
    upstream.on('drain', () => client.resume());
  }

  /** Closes both sockets. */
  close(why?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (why !== undefined) {
      this.host.problem(why);
      this.host.logger.info({ why }, 'kafka inlet closed a client connection');
    }
    this.client.destroy();
    this.upstream.destroy();
  }

  private fail(error: unknown): void {
    this.host.counters.malformed++;
    this.close(error instanceof Error ? error.message : String(error));
  }

  private onRequestBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const payload of this.requests.push(chunk)) this.onRequest(payload);
    } catch (error) {
      this.fail(error);
    }
  }

  private onRequest(payload: Buffer): void {
    const header = readRequestHeader(payload);
    this.host.counters.requests++;
    const max = MAX_VERSION[header.apiKey];
    if (max !== undefined && header.apiVersion > max) {
      throw new KafkaProtocolError(`the client sent api ${header.apiKey} v${header.apiVersion}, above the v${max} the inlet understands (clients must negotiate versions with ApiVersions)`);
    }
    let out = payload;
    let expectsResponse = true;
    if (header.apiKey === ApiKey.produce) {
      if (header.apiVersion < 3) throw new KafkaProtocolError(`Produce v${header.apiVersion} is not supported (v3 and later)`);
      const keyFor = this.host.keyFor;
      if (keyFor !== undefined) {
        const sealed = sealProduceRequest(payload, header.bodyStart, header.apiVersion, header.correlationId, keyFor, this.host.encryptedFields);
        expectsResponse = sealed.acks !== 0;
        if (sealed.kind === 'refuse') {
          this.host.counters.refusedProduce++;
          this.host.problem(sealed.reason);
          this.host.logger.warn({ why: sealed.reason }, 'kafka inlet refused a produce request');
          if (expectsResponse) this.pending.push({ ...header, version: header.apiVersion, local: sealed.response });
          this.flushLocal();
          return;
        }
        this.host.counters.sealedRecords += sealed.records;
        out = sealed.payload;
      } else {
        expectsResponse = produceAcks(payload, header.bodyStart, header.apiVersion) !== 0;
      }
    }
    if (expectsResponse) this.pending.push({ correlationId: header.correlationId, apiKey: header.apiKey, version: header.apiVersion });
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(out.length, 0);
    this.upstream.write(size);
    if (!this.upstream.write(out)) this.client.pause();
  }

  /** Sends the responses the inlet answered itself while they are next in line. */
  private flushLocal(): void {
    while (this.pending.length > 0 && this.pending[0]!.local !== undefined) {
      const local = this.pending.shift()!.local!;
      this.client.write(frame(local));
    }
  }

  private onResponseBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const payload of this.responses.push(chunk)) this.queue.push(payload);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (!this.pumping && this.queue.length > 0) {
      this.pumping = true;
      this.upstream.pause();
      this.pump().catch((error: unknown) => this.fail(error));
    }
  }

  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.closed) {
        const payload = this.queue.shift()!;
        const out = await this.onResponse(payload);
        if (this.closed) return;
        this.client.write(frame(out));
        this.flushLocal();
      }
    } finally {
      this.pumping = false;
    }
    if (!this.closed && this.client.writableNeedDrain === false) this.upstream.resume();
  }

  private async onResponse(payload: Buffer): Promise<Buffer> {
    this.flushLocal();
    if (payload.length < 4) throw new KafkaProtocolError('response shorter than its correlation id');
    const correlationId = payload.readInt32BE(0);
    const request = this.pending.shift();
    if (request === undefined || request.correlationId !== correlationId) {
      throw new KafkaProtocolError(`response ${correlationId} does not answer the oldest request${request ? ` (${request.correlationId})` : ''}`);
    }
    const { apiKey, version } = request;
    if (apiKey !== ApiKey.apiVersions && apiKey !== ApiKey.metadata && apiKey !== ApiKey.findCoordinator && !(apiKey === ApiKey.fetch && this.host.keys)) return payload;
    let bodyStart = 4;
    if (responseHeaderTagged(apiKey, version)) {
      const r = new KafkaReader(payload, 4);
      r.skipTaggedFields();
      bodyStart = r.pos;
    }
    if (apiKey === ApiKey.apiVersions) return capApiVersions(payload, bodyStart, version);
    if (apiKey === ApiKey.metadata || apiKey === ApiKey.findCoordinator) {
      const spans: EndpointSpan[] = apiKey === ApiKey.metadata ? metadataEndpoints(payload, bodyStart, version) : findCoordinatorEndpoints(payload, bodyStart, version);
      if (spans.length === 0) return payload;
      const endpoints = await this.host.endpoints([...new Set(spans.map((s) => s.nodeId))]);
      return rewriteEndpoints(payload, spans, isFlexible(apiKey, version), endpoints);
    }
    const fetch = parseFetchResponse(payload, bodyStart, version);
    if (fetch.keyIds.size === 0) return fetch.open(new Map());
    const keys = await this.host.keys!(fetch.keyIds);
    return fetch.open(keys, (topic, why) => {
      this.host.counters.refusedPartitions++;
      this.host.problem(`topic ${topic}: ${why}`);
    });
  }
}

/** The `acks` of a Produce request (0: no response comes). */
function produceAcks(payload: Buffer, bodyStart: number, version: number): number {
  const r = new KafkaReader(payload, bodyStart);
  r.string(isFlexible(ApiKey.produce, version));
  return r.int16();
}
