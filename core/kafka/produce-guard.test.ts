import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { FrameSplitter, frame } from './frame-splitter.js';
import { KafkaErrorCode } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';
import { readRequestHeader } from './kafka-request-header.js';
import { KafkaWriter } from './kafka-writer.js';
import { ProduceGuardConnection, PRODUCE_REFUSED_MESSAGE, type ProduceGuardCounters } from './produce-guard-connection.js';
import { addProduceErrors } from './produce-response.js';
import { keepProduceTopics, readProduceTopics } from './produce-topics.js';
import { makeBatch } from './testing/kafka-frames.js';

/** A Produce request (header and body) writing one batch to partition 0 (and 1 when `two`) of each topic. */
function produce(version: number, topics: readonly string[], correlationId = 7, acks = -1): Buffer {
  const flexible = version >= 9;
  const w = new KafkaWriter(256).int16(0).int16(version).int32(correlationId).string('test', false);
  if (flexible) w.uvarint(0);
  w.string(version >= 3 ? 'tx' : null, flexible).int16(acks).int32(30_000);
  w.arrayLength(topics.length, flexible);
  for (const topic of topics) {
    w.string(topic, flexible).arrayLength(2, flexible);
    for (const p of [0, 1]) {
      const records = makeBatch([`${topic}-${p}`]);
      w.int32(p);
      if (flexible) w.uvarint(records.length + 1);
      else w.int32(records.length);
      w.bytes(records);
      if (flexible) w.uvarint(0);
    }
    if (flexible) w.uvarint(0);
  }
  if (flexible) w.uvarint(0);
  return Buffer.from(w.finish());
}

/** A broker's Produce response: every partition of `topics` written at offset 42. */
function produceResponse(version: number, topics: readonly { name: string; partitions: readonly number[] }[], correlationId = 7): Buffer {
  const flexible = version >= 9;
  const w = new KafkaWriter(256).int32(correlationId);
  if (flexible) w.uvarint(0);
  w.arrayLength(topics.length, flexible);
  for (const t of topics) {
    w.string(t.name, flexible).arrayLength(t.partitions.length, flexible);
    for (const p of t.partitions) {
      w.int32(p).int16(0).int64(42n).int64(-1n);
      if (version >= 5) w.int64(0n);
      if (version >= 8) {
        w.arrayLength(1, flexible).int32(0).string('kept', flexible);
        if (flexible) w.uvarint(0);
        w.string(null, flexible);
      }
      if (flexible) w.uvarint(0);
    }
    if (flexible) w.uvarint(0);
  }
  w.int32(123);
  if (flexible) w.uvarint(0);
  return Buffer.from(w.finish());
}

/** Reads a Produce response back: topic -> [partition, error code]. */
function readResponse(payload: Buffer, version: number): { correlationId: number; topics: Map<string, [number, number, string | null][]>; throttle: number } {
  const flexible = version >= 9;
  const r = new KafkaReader(payload);
  const correlationId = r.int32();
  if (flexible) r.skipTaggedFields();
  const topics = new Map<string, [number, number, string | null][]>();
  const n = r.arrayLength(flexible);
  for (let t = 0; t < n; t++) {
    const name = r.string(flexible)!;
    const parts: [number, number, string | null][] = [];
    const m = r.arrayLength(flexible);
    for (let p = 0; p < m; p++) {
      const index = r.int32();
      const code = r.int16();
      r.int64();
      r.int64();
      if (version >= 5) r.int64();
      let message: string | null = null;
      if (version >= 8) {
        const errors = r.arrayLength(flexible);
        for (let e = 0; e < errors; e++) {
          r.int32();
          r.string(flexible);
          if (flexible) r.skipTaggedFields();
        }
        message = r.string(flexible);
      }
      if (flexible) r.skipTaggedFields();
      parts.push([index, code, message]);
    }
    if (flexible) r.skipTaggedFields();
    topics.set(name, parts);
  }
  const throttle = r.int32();
  if (flexible) r.skipTaggedFields();
  expect(r.remaining).toBe(0);
  return { correlationId, topics, throttle };
}

describe('Kafka outlet produce check: codec', () => {
  it('reads the topics of Produce v3, v7 (plain) and v9 (flexible) and cuts refused topics out, keeping the rest byte for byte', () => {
    for (const version of [3, 7, 9]) {
      const request = produce(version, ['ok.a', 'no.b', 'ok.c']);
      const header = readRequestHeader(request);
      const parsed = readProduceTopics(request, header.bodyStart, version);
      expect(parsed.acks).toBe(-1);
      expect(parsed.topics.map((t) => [t.name, t.partitions])).toEqual([['ok.a', [0, 1]], ['no.b', [0, 1]], ['ok.c', [0, 1]]]);
      const kept = parsed.topics.filter((t) => t.name.startsWith('ok.'));
      const out = keepProduceTopics(request, parsed, kept, version);
      const again = readProduceTopics(out, header.bodyStart, version);
      expect(again.topics.map((t) => t.name)).toEqual(['ok.a', 'ok.c']);
      for (const [i, t] of again.topics.entries()) expect(out.subarray(t.start, t.end)).toEqual(request.subarray(kept[i]!.start, kept[i]!.end));
      expect(out.includes(Buffer.from('no.b-0'))).toBe(false);
      expect(out.subarray(0, header.bodyStart)).toEqual(request.subarray(0, header.bodyStart));
    }
  });

  it('adds refused partitions with TOPIC_AUTHORIZATION_FAILED to a broker response (v3, v7, v8, v9) and keeps the rest', () => {
    for (const version of [3, 7, 8, 9]) {
      const broker = produceResponse(version, [{ name: 'ok.a', partitions: [0, 1] }]);
      const merged = addProduceErrors(broker, version, new Map([['no.b', [0, 1]]]), KafkaErrorCode.topicAuthorizationFailed, PRODUCE_REFUSED_MESSAGE);
      const read = readResponse(merged, version);
      expect(read.correlationId).toBe(7);
      expect(read.throttle).toBe(123);
      expect(read.topics.get('ok.a')?.map((p) => p.slice(0, 2))).toEqual([[0, 0], [1, 0]]);
      expect(read.topics.get('no.b')).toEqual([[0, 29, version >= 8 ? PRODUCE_REFUSED_MESSAGE : null], [1, 29, version >= 8 ? PRODUCE_REFUSED_MESSAGE : null]]);
    }
  });

  it('refuses truncated requests and responses with KafkaProtocolError', () => {
    const request = produce(9, ['a']);
    const header = readRequestHeader(request);
    for (let cut = header.bodyStart; cut < request.length - 1; cut += 7) {
      expect(() => readProduceTopics(request.subarray(0, cut), header.bodyStart, 9)).toThrow(/kafka:/);
    }
    const response = produceResponse(8, [{ name: 'a', partitions: [0] }]);
    expect(() => addProduceErrors(response.subarray(0, 20), 8, new Map([['b', [0]]]), 29, 'x')).toThrow(/kafka:/);
  });
});

describe('Kafka outlet produce check: a connection', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  /** A loopback pair (a, b) of connected sockets. */
  async function pair(): Promise<[Socket, Socket, Server]> {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const accepted = once(server, 'connection');
    const a = connect((server.address() as { port: number }).port, '127.0.0.1');
    const [b] = (await accepted) as [Socket];
    await once(a, 'connect').catch(() => undefined);
    cleanup.push(() => { a.destroy(); b.destroy(); server.close(); });
    return [a, b, server];
  }

  it('answers a fully refused request itself, in its turn among pipelined requests; forwards only allowed topics; passes other frames byte for byte', async () => {
    const [client, guardClientSide] = await pair();
    const [guardUpstreamSide, broker] = await pair();
    const counters: ProduceGuardCounters = { refusedPartitions: 0, refusedRequests: 0, malformed: 0 };
    const asked: string[] = [];
    const problems: string[] = [];
    new ProduceGuardConnection({
      maxFrameBytes: 1 << 20, logger: silentLogger, counters, problem: (why) => problems.push(why),
      allowed: (topic) => { asked.push(topic); return topic.startsWith('ok.'); },
    }, guardClientSide, guardUpstreamSide);
    // The broker side: records what arrives, answers each request when told.
    const atBroker = new FrameSplitter(1 << 20);
    const received: Buffer[] = [];
    broker.on('data', (chunk: Buffer) => received.push(...atBroker.push(chunk)));
    const atClient = new FrameSplitter(1 << 20);
    const answers: Buffer[] = [];
    client.on('data', (chunk: Buffer) => answers.push(...atClient.push(chunk)));

    const metadata = new KafkaWriter().int16(3).int16(6).int32(1).string('test', false).int32(-1).finish();
    client.write(frame(metadata));
    client.write(frame(produce(7, ['no.x'], 2)));
    client.write(frame(produce(7, ['ok.a', 'no.x'], 3)));
    client.write(frame(produce(7, ['no.x'], 4)));
    client.write(frame(produce(7, ['no.x'], 5, 0)));
    const until = async (f: () => boolean): Promise<void> => {
      for (let i = 0; i < 500 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(f()).toBe(true);
    };
    await until(() => received.length === 2);
    expect(received[0]).toEqual(Buffer.from(metadata));
    expect(readProduceTopics(received[1]!, readRequestHeader(received[1]!).bodyStart, 7).topics.map((t) => t.name)).toEqual(['ok.a']);
    // Nothing answered yet: the refused request 2 waits for the Metadata response ahead of it.
    await new Promise((r) => setTimeout(r, 50));
    expect(answers).toHaveLength(0);
    const metadataAnswer = Buffer.from(new KafkaWriter().int32(1).int32(0).int32(0).string(null, false).int32(0).int32(0).finish());
    // The response arrives cut in odd pieces.
    const both = Buffer.concat([frame(metadataAnswer), frame(produceResponse(7, [{ name: 'ok.a', partitions: [0, 1] }], 3))]);
    for (let at = 0; at < both.length; at += 3) broker.write(both.subarray(at, at + 3));
    await until(() => answers.length === 4);
    expect(answers[0]).toEqual(metadataAnswer);
    expect(readResponse(answers[1]!, 7).topics).toEqual(new Map([['no.x', [[0, 29, null], [1, 29, null]]]]));
    expect(readResponse(answers[1]!, 7).correlationId).toBe(2);
    const mixed = readResponse(answers[2]!, 7);
    expect(mixed.correlationId).toBe(3);
    expect([...mixed.topics.keys()]).toEqual(['ok.a', 'no.x']);
    expect(mixed.topics.get('no.x')?.map((p) => p[1])).toEqual([29, 29]);
    expect(readResponse(answers[3]!, 7).correlationId).toBe(4);
    // Decisions are cached per connection and topic; acks=0 gets no answer.
    expect(asked.sort()).toEqual(['no.x', 'ok.a']);
    expect(counters).toEqual({ refusedPartitions: 8, refusedRequests: 3, malformed: 0 });
    expect(problems[0]).toMatch(/kafka-produce policy for topic no\.x/);
  });

  it('closes the connection on a Produce version it does not check, or a malformed frame', async () => {
    for (const bytes of [frame(produce(7, ['ok.a'])).fill(0, 6, 8).fill(12, 7, 8), Buffer.from([0, 0, 0, 8, 0, 0, 0, 7, 0, 0, 0, 1]), Buffer.from([0x7f, 0, 0, 0])]) {
      const [client, guardClientSide] = await pair();
      const [guardUpstreamSide] = await pair();
      const counters: ProduceGuardCounters = { refusedPartitions: 0, refusedRequests: 0, malformed: 0 };
      new ProduceGuardConnection({ maxFrameBytes: 1 << 20, logger: silentLogger, counters, problem: () => undefined, allowed: () => true }, guardClientSide, guardUpstreamSide);
      client.on('error', () => undefined);
      const closed = once(client, 'close');
      client.write(bytes);
      await closed;
      expect(counters.malformed).toBe(1);
    }
  });
});
