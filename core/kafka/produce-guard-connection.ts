import type { Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { FrameSplitter, frame } from './frame-splitter.js';
import { ApiKey, KafkaErrorCode } from './kafka-api.js';
import { KafkaProtocolError } from './kafka-error.js';
import { readRequestHeader } from './kafka-request-header.js';
import { addProduceErrors, produceErrorResponse, type TopicPartitions } from './produce-response.js';
import { keepProduceTopics, readProduceTopics, type ProduceTopic } from './produce-topics.js';

/** Counters of a Kafka outlet's Produce checks, shared by its connections. */
export interface ProduceGuardCounters {
  /** Topic-partitions answered TOPIC_AUTHORIZATION_FAILED without reaching the broker. */
  refusedPartitions: number;
  /** Produce requests of which nothing was forwarded (every topic refused). */
  refusedRequests: number;
  /** Connections closed for a malformed frame or a Produce version the outlet does not check. */
  malformed: number;
}

/** What a guarded connection needs from its outlet. */
export interface ProduceGuardHost {
  readonly maxFrameBytes: number;
  readonly logger: Logger;
  readonly counters: ProduceGuardCounters;
  /** Whether this connection's peer may produce to `topic` (a `kafka-produce` decision). */
  allowed(topic: string): boolean;
  /** Records why a connection was closed or a request refused (status `lastError`). */
  problem(why: string): void;
}

/** The partition error message of a refused topic (Produce v8+): says which policy, never why. */
export const PRODUCE_REFUSED_MESSAGE = 'the kafka-produce policy of the brokers\' node does not allow this producer to write to this topic';

/** Most topic decisions one connection remembers (then it starts afresh). */
const MAX_CACHED_TOPICS = 4096;

interface Pending {
  readonly correlationId: number;
  readonly version: number;
  /** A response the outlet answers itself, sent in its turn. */
  readonly local?: Buffer;
  /** Partitions refused here, added to the broker's Produce response. */
  readonly refused?: TopicPartitions;
}

/**
 * One portal session's connection to a broker, as the Kafka outlet sees it: `client` is the
 * session's side, `upstream` the broker. Each Produce request (v3-v9, bounded frames) is
 * checked topic by topic: refused topics are cut out of the request before it is forwarded
 * and answered TOPIC_AUTHORIZATION_FAILED in the broker's response (a request with no
 * allowed topic is answered by the outlet alone, in its turn). Decisions are cached per
 * connection and topic. Every other request, and every response that answers a fully
 * allowed request, passes byte for byte; responses are not buffered. A malformed request
 * closes this connection only.
 */
export class ProduceGuardConnection {
  private readonly requests: FrameSplitter;
  private readonly pending: Pending[] = [];
  private readonly decisions = new Map<string, boolean>();
  /** Response stream: the size prefix being read, bytes left of the current frame, and the frame collected when it needs rewriting. */
  private readonly head = Buffer.allocUnsafe(4);
  private headFilled = 0;
  private left = -1;
  private current: Pending | undefined;
  private collected: Buffer[] | undefined;
  private closed = false;

  constructor(private readonly host: ProduceGuardHost, private readonly client: Socket, private readonly upstream: Socket) {
    this.requests = new FrameSplitter(host.maxFrameBytes);
    client.on('data', (chunk: Buffer) => this.onRequestBytes(chunk));
    upstream.on('data', (chunk: Buffer) => this.onResponseBytes(chunk));
    const end = (): void => this.close();
    for (const s of [client, upstream]) {
      s.on('error', end);
      s.on('close', end);
      s.on('end', end);
    }
    client.on('drain', () => upstream.resume());
    upstream.on('drain', () => client.resume());
  }

  /** Closes both sockets. */
  close(why?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (why !== undefined) {
      this.host.problem(why);
      this.host.logger.info({ why }, 'kafka outlet closed a connection');
    }
    this.client.destroy();
    this.upstream.destroy();
  }

  private onRequestBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const payload of this.requests.push(chunk)) this.onRequest(payload);
    } catch (error) {
      this.host.counters.malformed++;
      this.close(error instanceof Error ? error.message : String(error));
    }
  }

  private onRequest(payload: Buffer): void {
    const header = readRequestHeader(payload);
    if (header.apiKey !== ApiKey.produce) {
      this.pending.push({ correlationId: header.correlationId, version: header.apiVersion });
      this.forward(payload);
      return;
    }
    const version = header.apiVersion;
    if (version < 3 || version > 9) throw new KafkaProtocolError(`Produce v${version} is not checked by the outlet (v3-v9; the inlet negotiates clients down to these)`);
    const parsed = readProduceTopics(payload, header.bodyStart, version);
    let refused: Map<string, number[]> | undefined;
    const kept: ProduceTopic[] = [];
    for (const topic of parsed.topics) {
      if (this.allowed(topic.name)) {
        kept.push(topic);
        continue;
      }
      refused ??= new Map();
      const list = refused.get(topic.name);
      if (list) list.push(...topic.partitions);
      else refused.set(topic.name, [...topic.partitions]);
      this.host.counters.refusedPartitions += topic.partitions.length;
    }
    const answers = parsed.acks !== 0;
    if (refused === undefined) {
      if (answers) this.pending.push({ correlationId: header.correlationId, version });
      this.forward(payload);
      return;
    }
    this.host.problem(`produce refused by the kafka-produce policy for topic${refused.size > 1 ? 's' : ''} ${[...refused.keys()].join(', ')}`);
    if (kept.length === 0) {
      this.host.counters.refusedRequests++;
      if (answers) {
        const local = produceErrorResponse(header.correlationId, version, refused, KafkaErrorCode.topicAuthorizationFailed, PRODUCE_REFUSED_MESSAGE);
        this.pending.push({ correlationId: header.correlationId, version, local });
        this.flushLocal();
      }
      return;
    }
    if (answers) this.pending.push({ correlationId: header.correlationId, version, refused });
    this.forward(keepProduceTopics(payload, parsed, kept, version));
  }

  private allowed(topic: string): boolean {
    let allowed = this.decisions.get(topic);
    if (allowed === undefined) {
      if (this.decisions.size >= MAX_CACHED_TOPICS) this.decisions.clear();
      allowed = this.host.allowed(topic);
      this.decisions.set(topic, allowed);
    }
    return allowed;
  }

  private forward(payload: Buffer): void {
    if (!this.upstream.write(frame(payload))) this.client.pause();
  }

  /** Sends the responses the outlet answered itself while they are next in line. */
  private flushLocal(): void {
    while (this.left < 0 && this.current === undefined && this.pending.length > 0 && this.pending[0]!.local !== undefined) {
      this.toClient(frame(this.pending.shift()!.local!));
    }
  }

  private toClient(bytes: Buffer): void {
    if (!this.client.write(bytes)) this.upstream.pause();
  }

  private onResponseBytes(chunk: Buffer): void {
    if (this.closed) return;
    try {
      this.readResponses(chunk);
    } catch (error) {
      this.host.counters.malformed++;
      this.close(error instanceof Error ? error.message : String(error));
    }
  }

  /** Passes response frames through as they arrive; collects only those that answer a request with refused topics. */
  private readResponses(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left < 0) {
        const n = Math.min(4 - this.headFilled, chunk.length - at);
        chunk.copy(this.head, this.headFilled, at, at + n);
        this.headFilled += n;
        at += n;
        if (this.headFilled < 4) return;
        this.headFilled = 0;
        const size = this.head.readInt32BE(0);
        if (size < 4) throw new KafkaProtocolError(`response frame size ${size}`);
        const request = this.pending.shift();
        if (request === undefined || request.local !== undefined) throw new KafkaProtocolError('the broker sent a response to no request');
        this.current = request;
        this.left = size;
        if (request.refused !== undefined) {
          if (size > this.host.maxFrameBytes) throw new KafkaProtocolError(`Produce response of ${size} bytes above the ${this.host.maxFrameBytes} bound`);
          this.collected = [];
        } else {
          this.toClient(Buffer.from(this.head));
        }
        continue;
      }
      const n = Math.min(this.left, chunk.length - at);
      const part = chunk.subarray(at, at + n);
      at += n;
      this.left -= n;
      if (this.collected !== undefined) this.collected.push(part);
      else this.toClient(part);
      if (this.left > 0) continue;
      const request = this.current!;
      this.left = -1;
      this.current = undefined;
      if (this.collected !== undefined) {
        const payload = Buffer.concat(this.collected);
        this.collected = undefined;
        if (payload.readInt32BE(0) !== request.correlationId) throw new KafkaProtocolError(`response ${payload.readInt32BE(0)} does not answer the oldest request (${request.correlationId})`);
        this.toClient(frame(addProduceErrors(payload, request.version, request.refused!, KafkaErrorCode.topicAuthorizationFailed, PRODUCE_REFUSED_MESSAGE)));
      }
      this.flushLocal();
    }
  }
}
