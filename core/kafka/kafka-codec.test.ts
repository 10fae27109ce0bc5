import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { capApiVersions } from './api-versions.js';
import { findCoordinatorEndpoints, metadataEndpoints, rewriteEndpoints } from './broker-endpoints.js';
import { parseFetchResponse } from './fetch-response.js';
import { FrameSplitter, frame } from './frame-splitter.js';
import { KafkaErrorCode } from './kafka-api.js';
import { KafkaReader } from './kafka-reader.js';
import { readRequestHeader } from './kafka-request-header.js';
import { KafkaWriter } from './kafka-writer.js';
import { sealProduceRequest } from './produce-request.js';
import { batchCrcValid, batchSpans, decodeRecords, encodeBatch } from './record-batch.js';
import { KEY_HEADER, type DataKey } from './record-cipher.js';
import { fetchResponse, fetchedRecords, makeBatch, produceRequest, producedRecords } from './testing/kafka-frames.js';

const key: DataKey = { id: 'a'.repeat(32), topic: 't.one', secret: randomBytes(32), createdAt: 0 };

function metadataResponse(version: number, brokers: [number, string, number][]): Buffer {
  const flexible = version >= 9;
  const w = new KafkaWriter().int32(5);
  if (flexible) w.uvarint(0);
  if (version >= 3) w.int32(0);
  w.arrayLength(brokers.length, flexible);
  for (const [id, host, port] of brokers) {
    w.int32(id).string(host, flexible).int32(port);
    if (version >= 1) w.string('rack-a', flexible);
    if (flexible) w.uvarint(1).uvarint(7).uvarint(2).int16(0x4242); // one unknown tagged field, kept as is
  }
  w.string('cluster', flexible).int32(1);
  return Buffer.from(w.finish());
}

describe('Kafka codec', () => {
  it('rewrites broker endpoints in Metadata v1, v6 (plain) and v9, v12 (flexible) and keeps every other byte', () => {
    for (const version of [1, 6, 9, 12]) {
      const payload = metadataResponse(version, [[1, 'broker-1.internal', 9092], [2, 'b2', 9093]]);
      const bodyStart = version >= 9 ? 5 : 4;
      const spans = metadataEndpoints(payload, bodyStart, version);
      expect(spans.map((s) => [s.nodeId, s.host, s.port])).toEqual([[1, 'broker-1.internal', 9092], [2, 'b2', 9093]]);
      const out = rewriteEndpoints(payload, spans, version >= 9, new Map([[1, { host: '127.0.0.1', port: 40001 }], [2, { host: '127.0.0.1', port: 40002 }]]));
      const again = metadataEndpoints(out, bodyStart, version);
      expect(again.map((s) => [s.nodeId, s.host, s.port])).toEqual([[1, '127.0.0.1', 40001], [2, '127.0.0.1', 40002]]);
      // The tail (cluster id, controller id) is unchanged.
      expect(out.subarray(out.length - 12)).toEqual(payload.subarray(payload.length - 12));
    }
  });

  it('rewrites FindCoordinator v2 (one coordinator) and v4 (batched, flexible); error entries stay', () => {
    const v2 = new KafkaWriter().int32(1).int32(0).int16(0).string(null, false).int32(3).string('kafka-3', false).int32(9092).finish();
    const s2 = findCoordinatorEndpoints(Buffer.from(v2), 4, 2);
    expect(s2.map((s) => s.nodeId)).toEqual([3]);
    const out2 = rewriteEndpoints(Buffer.from(v2), s2, false, new Map([[3, { host: '127.0.0.1', port: 5 }]]));
    expect(findCoordinatorEndpoints(out2, 4, 2)[0]).toMatchObject({ host: '127.0.0.1', port: 5 });

    const w = new KafkaWriter().int32(1).uvarint(0).int32(0).uvarint(3);
    w.string('group-a', true).int32(1).string('k1', true).int32(9092).int16(0).string(null, true).uvarint(0);
    w.string('group-b', true).int32(-1).string('', true).int32(-1).int16(15).string('not available', true).uvarint(0);
    w.uvarint(0);
    const v4 = Buffer.from(w.finish());
    const s4 = findCoordinatorEndpoints(v4, 5, 4);
    expect(s4.map((s) => s.nodeId)).toEqual([1]);
    const out4 = rewriteEndpoints(v4, s4, true, new Map([[1, { host: '127.0.0.1', port: 6 }]]));
    expect(findCoordinatorEndpoints(out4, 5, 4)[0]).toMatchObject({ host: '127.0.0.1', port: 6 });
    expect(out4.toString('latin1')).toContain('not available');
  });

  it('caps ApiVersions (v0 plain, v3 flexible) to the versions the inlet parses and hides endpoint-carrying APIs', () => {
    for (const version of [0, 3]) {
      const flexible = version >= 3;
      const w = new KafkaWriter().int32(1).int16(0).arrayLength(5, flexible);
      for (const [api, min, max] of [[0, 3, 13], [1, 4, 17], [3, 0, 13], [18, 0, 4], [60, 0, 2]]) {
        w.int16(api!).int16(min!).int16(max!);
        if (flexible) w.uvarint(0);
      }
      if (flexible) w.int32(0).uvarint(0);
      const out = capApiVersions(Buffer.from(w.finish()), 4, version);
      const r = new KafkaReader(out, 4);
      expect(r.int16()).toBe(0);
      const n = r.arrayLength(flexible);
      const seen: number[][] = [];
      for (let i = 0; i < n; i++) {
        seen.push([r.int16(), r.int16(), r.int16()]);
        if (flexible) r.skipTaggedFields();
      }
      expect(seen).toEqual([[0, 3, 9], [1, 4, 12], [3, 0, 12], [18, 0, 4]]);
    }
  });

  it('encrypts Produce values (v3, v7 plain; v9 flexible) and a Fetch response (v11 plain, v12 flexible) opens them again', () => {
    const values = ['{"amount": 12}', 'second', null];
    for (const [pv, fv] of [[3, 4], [7, 11], [9, 12]] as const) {
      const request = produceRequest(pv, 't.one', makeBatch(values));
      const header = readRequestHeader(request);
      const sealed = sealProduceRequest(request, header.bodyStart, pv, header.correlationId, () => key);
      if (sealed.kind !== 'forward') throw new Error('refused');
      expect(sealed.records).toBe(2);
      const batch = producedRecords(sealed.payload, pv, 't.one');
      expect(batchCrcValid(batch)).toBe(true);
      expect(batch.toString('latin1')).not.toContain('amount');
      const stored = decodeRecords(batch);
      expect(stored[0]!.headers.map((h) => h.key)).toEqual(['h', KEY_HEADER]);
      expect(stored[2]!.value).toBeNull();

      const response = fetchResponse(fv, 't.one', batch);
      const parsed = parseFetchResponse(response, fv >= 12 ? 5 : 4, fv);
      expect([...parsed.keyIds]).toEqual([[key.id, 't.one']]);
      const opened = parsed.open(new Map([[key.id, key]]));
      const back = parseFetchResponse(opened, fv >= 12 ? 5 : 4, fv);
      expect(back.keyIds.size).toBe(1);
      const openedBatch = fetchedRecords(opened, fv, 't.one');
      expect(batchSpans(openedBatch)).toHaveLength(1);
      expect(batchCrcValid(openedBatch)).toBe(true);
      const recs = decodeRecords(openedBatch);
      expect(recs.map((r) => r.value?.toString() ?? null)).toEqual(values);
      expect(recs[0]!.headers.find((h) => h.key === KEY_HEADER)?.value?.toString()).toBe(key.id);
    }
  });

  it('with encrypted fields, seals only the named fields of JSON objects (other values whole) and opens them again', () => {
    const values = ['{"card":"4111-1111","amount":12,"meta":{"a":[1,2]}}', 'not json', '[1,2]', '{"amount":3}'];
    const request = produceRequest(7, 't.one', makeBatch(values));
    const sealed = sealProduceRequest(request, readRequestHeader(request).bodyStart, 7, 7, () => key, ['card', 'meta']);
    if (sealed.kind !== 'forward') throw new Error('refused');
    const stored = decodeRecords(producedRecords(sealed.payload, 7, 't.one'));
    const first = JSON.parse(stored[0]!.value!.toString()) as Record<string, unknown>;
    expect(first.amount).toBe(12);
    expect(String(first.card)).toMatch(/^symbolon:1:/);
    expect(stored[0]!.value!.toString()).not.toContain('4111');
    expect(stored[0]!.headers.find((h) => h.key === 'symbolon-fields')?.value?.toString()).toBe('card,meta');
    expect(stored[1]!.value!.toString()).not.toContain('not json');
    expect(stored[1]!.headers.some((h) => h.key === 'symbolon-fields')).toBe(false);
    expect(stored[3]!.headers.find((h) => h.key === 'symbolon-fields')?.value?.toString()).toBe('');
    const opened = parseFetchResponse(fetchResponse(11, 't.one', producedRecords(sealed.payload, 7, 't.one')), 4, 11).open(new Map([[key.id, key]]));
    const back = decodeRecords(fetchedRecords(opened, 11, 't.one')).map((r) => r.value!.toString());
    expect(back.map((v, i) => (i === 1 ? v : JSON.parse(v)))).toEqual([JSON.parse(values[0]!), 'not json', [1, 2], { amount: 3 }]);

    // A sealed field moved to another field name does not open.
    const moved = stored[0]!.value!.toString().replace('"card"', '"meta2"').replace('"meta"', '"card"').replace('"meta2"', '"meta"');
    const tampered = encodeBatch(makeBatch(['x']), [{ ...stored[0]!, value: Buffer.from(moved) }]);
    const corrupt = parseFetchResponse(fetchResponse(11, 't.one', tampered), 4, 11).open(new Map([[key.id, key]]));
    expect(corrupt.readInt16BE(4 + 4 + 2 + 4 + 4 + 2 + 't.one'.length + 4 + 4)).toBe(KafkaErrorCode.corruptMessage);
    expect(corrupt.includes(Buffer.from('4111'))).toBe(false);
  });

  it('answers a refused key with TOPIC_AUTHORIZATION_FAILED and no records, an altered value with CORRUPT_MESSAGE', () => {
    const request = produceRequest(7, 't.one', makeBatch(['secret']));
    const sealed = sealProduceRequest(request, readRequestHeader(request).bodyStart, 7, 7, () => key);
    if (sealed.kind !== 'forward') throw new Error('refused');
    const batch = producedRecords(sealed.payload, 7, 't.one');
    const refused = parseFetchResponse(fetchResponse(11, 't.one', batch), 4, 11).open(new Map());
    expect(refused.toString('latin1')).not.toContain('secret');
    const errorAt = 4 + 4 + 2 + 4 + 4 + 2 + 't.one'.length + 4 + 4;
    expect(refused.readInt16BE(errorAt)).toBe(KafkaErrorCode.topicAuthorizationFailed);

    const altered = Buffer.from(batch);
    altered[altered.length - 20] ^= 1;
    const fixed = encodeBatch(altered, decodeRecords(altered));
    const corrupt = parseFetchResponse(fetchResponse(11, 't.one', fixed), 4, 11).open(new Map([[key.id, key]]));
    expect(corrupt.readInt16BE(errorAt)).toBe(KafkaErrorCode.corruptMessage);
  });

  it('drops a partial batch at the end of a rewritten partition and passes partitions without sealed records byte for byte', () => {
    const request = produceRequest(7, 't.one', makeBatch(['one', 'two']));
    const sealed = sealProduceRequest(request, readRequestHeader(request).bodyStart, 7, 7, () => key);
    if (sealed.kind !== 'forward') throw new Error('refused');
    const batch = producedRecords(sealed.payload, 7, 't.one');
    const cut = Buffer.concat([batch, batch.subarray(0, batch.length - 5)]);
    const opened = parseFetchResponse(fetchResponse(11, 't.one', cut), 4, 11).open(new Map([[key.id, key]]));
    const kept = fetchedRecords(opened, 11, 't.one');
    expect(batchSpans(kept)).toEqual([{ start: 0, end: kept.length, magic: 2, partial: false }]);
    expect(decodeRecords(kept).map((r) => r.value?.toString())).toEqual(['one', 'two']);

    const plain = fetchResponse(11, 't.one', makeBatch(['direct']));
    expect(parseFetchResponse(plain, 4, 11).open(new Map())).toBe(plain);
  });

  it('refuses a compressed produce batch with UNSUPPORTED_COMPRESSION_TYPE, answered in the request\'s version', () => {
    for (const version of [7, 9]) {
      const request = produceRequest(version, 't.one', makeBatch(['x'], { attributes: 1 }));
      const header = readRequestHeader(request);
      const result = sealProduceRequest(request, header.bodyStart, version, header.correlationId, () => key);
      expect(result.kind).toBe('refuse');
      if (result.kind !== 'refuse') return;
      expect(result.reason).toMatch(/gzip-compressed/);
      const r = new KafkaReader(result.response);
      expect(r.int32()).toBe(7);
      if (version >= 9) r.skipTaggedFields();
      const flexible = version >= 9;
      expect(r.arrayLength(flexible)).toBe(1);
      expect(r.string(flexible)).toBe('t.one');
      expect(r.arrayLength(flexible)).toBe(1);
      expect(r.int32()).toBe(0);
      expect(r.int16()).toBe(KafkaErrorCode.unsupportedCompressionType);
    }
  });

  it('splits frames across arbitrary chunk boundaries and refuses sizes out of bounds before buffering', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 4, maxLength: 300 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 50 }), (payloads, step) => {
      const stream = Buffer.concat(payloads.map((p) => frame(p)));
      const splitter = new FrameSplitter(1024);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += step) out.push(...splitter.push(stream.subarray(i, i + step)));
      expect(out.map((b) => [...b])).toEqual(payloads.map((p) => [...p]));
    }));
    expect(() => new FrameSplitter(1024).push(Buffer.from([0, 0, 4, 1]))).toThrow(/frame size 1025/);
    expect(() => new FrameSplitter(1024).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/frame size -1/);
  });

  it('rejects truncated and inconsistent input with KafkaProtocolError, never anything else', () => {
    const good = metadataResponse(12, [[1, 'h', 1]]);
    for (let cut = 5; cut < good.length - 12; cut++) {
      expect(() => metadataEndpoints(good.subarray(0, cut), 5, 12)).toThrow(/kafka:/);
    }
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const b = Buffer.from(bytes);
      for (const fn of [() => metadataEndpoints(b, 0, 12), () => findCoordinatorEndpoints(b, 0, 4), () => parseFetchResponse(b, 0, 12), () => decodeRecords(b)]) {
        try { fn(); } catch (e) { expect((e as Error).name).toBe('KafkaProtocolError'); }
      }
    }));
  });
});
