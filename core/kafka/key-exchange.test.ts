import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { Node } from '../node/node.js';
import { local } from '../routing/address.js';
import { parseFetchResponse } from './fetch-response.js';
import { KafkaErrorCode } from './kafka-api.js';
import { readRequestHeader } from './kafka-request-header.js';
import { KEY_SERVICE_ADDRESS, KeyClient, KeyServiceWorker } from './key-exchange.js';
import { sealProduceRequest } from './produce-request.js';
import type { DataKey } from './record-cipher.js';
import { fetchResponse, makeBatch, produceRequest, producedRecords } from './testing/kafka-frames.js';

const key: DataKey = { id: 'b'.repeat(32), topic: 't.one', secret: randomBytes(32), createdAt: 0 };
const nodes: Node[] = [];
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

/** A Fetch response (v11) holding one record sealed with `key`, and where its partition's error code sits. */
function sealedFetch(): { payload: Buffer; errorAt: number } {
  const request = produceRequest(7, 't.one', makeBatch(['secret']));
  const sealed = sealProduceRequest(request, readRequestHeader(request).bodyStart, 7, 7, () => key);
  if (sealed.kind !== 'forward') throw new Error('refused');
  return { payload: fetchResponse(11, 't.one', producedRecords(sealed.payload, 7, 't.one')), errorAt: 4 + 4 + 2 + 4 + 4 + 2 + 't.one'.length + 4 + 4 };
}

describe('data key requests that fail', () => {
  it('tells a refusal by the producer node from a producer node that cannot be reached, in the partition error and the message', async () => {
    const producer = new Node({ name: 'producer', logger: silentLogger });
    nodes.push(producer);
    // The real key service: it refuses whoever did not come through a secure channel, as it refuses a policy's no.
    await producer.startWorker(KEY_SERVICE_ADDRESS, new KeyServiceWorker((id) => (id === key.id ? key : undefined), () => true, silentLogger));
    const ids = new Map([[key.id, key.topic]]);

    const refusing = new KeyClient(producer, { route: async () => [local(KEY_SERVICE_ADDRESS)], logger: silentLogger, timeoutMs: 5_000 });
    const refused = (await refusing.keys(ids)).get(key.id);
    expect(refused).toEqual({ kind: 'refused' });
    // Remembered: asked again within refusalMs, the answer comes without a request.
    expect((await refusing.keys(ids)).get(key.id)).toEqual({ kind: 'refused' });

    const noRoute = new KeyClient(producer, { route: async () => { throw new Error('secure channel handshake failed at connect: connection refused'); }, logger: silentLogger });
    const noChannel = (await noRoute.keys(ids)).get(key.id);
    expect(noChannel).toEqual({ kind: 'unreachable', why: 'no route to its key service: secure channel handshake failed at connect: connection refused' });

    const silent = new KeyClient(producer, { route: async () => [local('nobody_here')], logger: silentLogger, timeoutMs: 300 });
    const timedOut = (await silent.keys(ids)).get(key.id);
    expect(timedOut).toMatchObject({ kind: 'unreachable', why: expect.stringMatching(/^no answer from its key service: /) });

    const { payload, errorAt } = sealedFetch();
    const problems: string[] = [];
    const refusedOut = parseFetchResponse(payload, 4, 11).open(new Map([[key.id, refused]]), (topic, why) => problems.push(`${topic}: ${why}`));
    expect(refusedOut.readInt16BE(errorAt)).toBe(KafkaErrorCode.topicAuthorizationFailed);
    expect(problems.pop()).toBe(`t.one: data key ${key.id}: refused by the producer's node (its kafka-consume policy does not let this node consume the topic, or it does not hold the key); the partition answers TOPIC_AUTHORIZATION_FAILED`);
    const unreachableOut = parseFetchResponse(payload, 4, 11).open(new Map([[key.id, noChannel]]), (topic, why) => problems.push(`${topic}: ${why}`));
    expect(unreachableOut.readInt16BE(errorAt)).toBe(KafkaErrorCode.networkException);
    expect(unreachableOut.toString('latin1')).not.toContain('secret');
    expect(problems.pop()).toBe(`t.one: data key ${key.id}: the producer's node could not be asked (no route to its key service: secure channel handshake failed at connect: connection refused); the partition answers NETWORK_EXCEPTION and the consumer retries`);
  });
});
