import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CompressionTypes, Kafka, logLevel, type Consumer, type IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../support/cli.js';
import { KAFKA_MISSING, kafkaJars, kafkaRequired, startTestKafka, type TestKafka } from '../support/kafka.js';
import { freePort, Scenario } from '../support/scenario.js';

const TOPIC = 'payments.orders';
const RECORDS = 10_000;
const MARKER = 'secret-payment-';
/** Bank's produce policy: only its own components write payments topics. */
const PRODUCE_POLICY = 'resource.topic.startsWith("payments.") ? subject.component == "db" : true';

/** Every file of the topic's partition folders on the broker's disk, concatenated. */
function topicSegments(broker: TestKafka, topic: string): Buffer {
  const parts: Buffer[] = [];
  for (const dir of readdirSync(broker.dataDir)) {
    if (!dir.startsWith(`${topic}-`)) continue;
    for (const file of readdirSync(join(broker.dataDir, dir))) {
      const path = join(broker.dataDir, dir, file);
      if (statSync(path).isFile()) parts.push(readFileSync(path));
    }
  }
  return Buffer.concat(parts);
}

function client(bootstrap: string, clientId: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

interface Seen { partition: number; offset: string; key: string; value: string; headers: IHeaders }

/** Consumes `topic` from the beginning in `groupId` until `count` records arrived (or `timeoutMs`). */
async function consumeAll(bootstrap: string, groupId: string, topic: string, count: number, timeoutMs = 60_000): Promise<Seen[]> {
  const consumer = client(bootstrap, groupId).consumer({ groupId, maxWaitTimeInMs: 200 });
  const seen: Seen[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`consumed ${seen.length} of ${count} records within ${timeoutMs} ms`)), timeoutMs);
      // A retriable crash (e.g. "the coordinator is loading" right after the broker started) restarts the consumer by itself.
      consumer.on(consumer.events.CRASH, (e) => { if (!e.payload.restart) { clearTimeout(timer); reject(e.payload.error); } });
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({ partition, offset: message.offset, key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', headers: message.headers ?? {} });
          if (seen.length >= count) { clearTimeout(timer); resolve(); }
        },
      });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return seen;
}

describe.skipIf(kafkaJars() === undefined && !kafkaRequired)('Kafka portals: a producer in one company, a consumer in another, records encrypted end to end through a real broker', () => {
  const s = Scenario.create({ prefix: 'sym-kafka-' });
  let broker: TestKafka | undefined;
  let producerInlet = '';
  let consumerInlet = '';
  let rogueInlet = '';
  let fieldsInlet = '';

  beforeAll(async () => {
    assertBuilt();
    if (kafkaJars() === undefined) throw new Error(`${KAFKA_MISSING}; SYMBOLON_REQUIRE_KAFKA=1 requires it`);
    broker = await startTestKafka({ partitions: 2 });
    const admin = client(broker.bootstrap, 'setup').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }, { topic: 'shared.events', numPartitions: 2 }, { topic: 'cards.orders', numPartitions: 1 }, { topic: 'marketing.events', numPartitions: 1 }], waitForLeaders: true });
    // Creates and loads the group coordinator's topic once, before any consumer group joins ("loading", "not the coordinator" meanwhile).
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.fetchOffsets({ groupId: 'warm-up', topics: [TOPIC] });
        break;
      } catch (error) {
        if (attempt >= 60) throw error;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await admin.disconnect();

    const [projectPort, bankPort, p1, p2, p3, p4] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
    fieldsInlet = `127.0.0.1:${p4}`;
    producerInlet = `127.0.0.1:${p1}`;
    consumerInlet = `127.0.0.1:${p2}`;
    rogueInlet = `127.0.0.1:${p3}`;
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
    const ticket = async (name: string, attrs: string[], relay?: string): Promise<string> =>
      s.writeFile(name, await s.ok('admin', ['project', 'ticket', ...attrs.flatMap((a) => ['--attribute', a]), ...(relay ? ['--relay', relay] : [])]));
    const bankTicket = await ticket('bank.ticket', ['component=db'], 'kafka');
    const analysisTicket = await ticket('analysis.ticket', ['component=analysis', 'team=analytics']);
    const rogueTicket = await ticket('rogue.ticket', ['component=analysis', 'team=marketing']);

    // Bank Corp: the broker, its Kafka outlet, the relay, and the producer's inlet.
    await s.ok('bank', ['node', 'create', 'bank', '--tcp-listener-address', `127.0.0.1:${bankPort}`]);
    await s.ok('bank', ['project', 'enroll', bankTicket]);
    await s.ok('bank', ['kafka-outlet', 'create', '--bootstrap-server', broker.bootstrap, '--allow', 'subject.component in ["analysis", "db"]',
      '--produce-allow', PRODUCE_POLICY]);
    await s.ok('bank', ['relay', 'create', 'kafka']);
    await s.ok('bank', ['policy', 'create', '--resource-type', 'kafka-consume', '--expression', 'resource.topic.startsWith("payments.") ? subject.team == "analytics" : true']);
    await s.ok('bank', ['kafka-inlet', 'create', '--from', producerInlet, '--to', `/ip4/127.0.0.1/tcp/${bankPort}/service/api`, '--allow', 'subject.component == "db"']);
    await s.ok('bank', ['kafka-inlet', 'create', '--from', fieldsInlet, '--to', `/ip4/127.0.0.1/tcp/${bankPort}/service/api`, '--encrypted-field', 'card', '--encrypted-field', 'holder',
      '--key-rotation', '2s', '--key-retention', '1h']);

    // Analysis Corp: two consumer nodes, the analytics team's and a marketing one.
    await s.ok('analysis', ['project', 'enroll', analysisTicket]);
    await s.ok('analysis', ['kafka-inlet', 'create', '--from', consumerInlet, '--via', 'kafka', '--allow', 'subject.component == "db"']);
    // The marketing node joins from a home of its own: a home keeps one member node per project.
    await s.ok('analysis', ['identity', 'create', 'rogue']);
    await s.ok('analysis', ['node', 'create', 'rogue', '--identity', 'rogue']);
    const second = await s.run('analysis', ['project', 'enroll', rogueTicket, '--node', 'rogue', '--identity', 'rogue']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/node '\w+' is already the member of project 'bank'.*one member node per project/);
    await s.ok('marketing', ['identity', 'create', 'rogue']);
    await s.ok('marketing', ['node', 'create', 'rogue', '--identity', 'rogue']);
    await s.ok('marketing', ['project', 'enroll', rogueTicket, '--node', 'rogue', '--identity', 'rogue']);
    await s.ok('marketing', ['kafka-inlet', 'create', '--at', 'rogue', '--from', rogueInlet, '--via', 'kafka', '--allow', 'subject.component == "db"']);
  }, 150_000);

  afterAll(async () => {
    await s.cleanup();
    await broker?.stop();
  }, 60_000);

  it('10,000 records produced through the producer inlet arrive through the consumer inlet in order and intact; the broker stores none of the plaintext', async () => {
    const producer = client(producerInlet, 'producer').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    for (let batch = 0; batch < RECORDS / 1000; batch++) {
      await producer.send({
        topic: TOPIC,
        messages: Array.from({ length: 1000 }, (_, j) => {
          const i = batch * 1000 + j;
          return { key: `account-${i % 7}`, value: JSON.stringify({ n: i, note: `${MARKER}${String(i).padStart(6, '0')}` }) };
        }),
      });
    }
    await producer.disconnect();

    const seen = await consumeAll(consumerInlet, 'analytics', TOPIC, RECORDS, 90_000);
    expect(seen.length).toBe(RECORDS);
    // Per key (so per partition), the order of production.
    const byKey = new Map<string, number[]>();
    for (const r of seen) {
      const v = JSON.parse(r.value) as { n: number; note: string };
      expect(v.note).toBe(`${MARKER}${String(v.n).padStart(6, '0')}`);
      expect(r.key).toBe(`account-${v.n % 7}`);
      expect(r.headers['symbolon-key']?.toString()).toMatch(/^[0-9a-f]{32}$/);
      byKey.set(r.key, [...(byKey.get(r.key) ?? []), v.n]);
    }
    expect(new Set(seen.map((r) => JSON.parse(r.value).n)).size).toBe(RECORDS);
    for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));

    const disk = topicSegments(broker!, TOPIC);
    expect(disk.length).toBeGreaterThan(RECORDS * 40);
    expect(disk.includes(MARKER)).toBe(false);
    expect(disk.includes('account-3')).toBe(true);
  }, 120_000);

  it('a consumer whose credential does not satisfy the topic policy gets an authorization error and no plaintext; the bank node lists the denial', async () => {
    const consumer: Consumer = client(rogueInlet, 'rogue').consumer({ groupId: 'marketing', maxWaitTimeInMs: 200, retry: { retries: 0 } });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    const crash = await new Promise<Error>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no authorization error within 45 s')), 45_000);
      // Retriable crashes (the coordinator loading) come and go; the refusal is the one that counts.
      consumer.on(consumer.events.CRASH, (e) => { if (/not authorized/i.test(e.payload.error.message) || !e.payload.restart) { clearTimeout(timer); resolve(e.payload.error); } });
      void consumer.run({ eachMessage: async ({ message }) => { values.push(message.value?.toString() ?? ''); } });
    });
    await consumer.disconnect().catch(() => undefined);
    expect(crash.message).toMatch(/not authorized/i);
    expect(values.filter((v) => v.includes(MARKER))).toEqual([]);
    const denials = await s.json<{ denials: { resource: { type: string; name: string }; reason: string }[] }>('bank', ['policy', 'denials']);
    expect(denials.denials.some((d) => d.resource.type === 'kafka-consume' && d.resource.name === TOPIC && /team/.test(d.reason))).toBe(true);
    // The inlet says the producer's node refused the key (not the broker, not an unreachable node).
    const shown = await s.json<{ status: { refusedPartitions: number; lastError?: string } }>('marketing', ['kafka-inlet', 'show', '--at', 'rogue', rogueInlet]);
    expect(shown.status.refusedPartitions).toBeGreaterThanOrEqual(1);
    expect(shown.status.lastError).toMatch(/^topic payments\.orders: data key [0-9a-f]{32}: refused by the producer's node \(its kafka-consume policy does not let this node consume the topic/);
  }, 60_000);

  it('a member whose credential does not satisfy the kafka-produce policy cannot write to the topic through its inlet: authorization error, nothing lands, its other topics still work on the same connection', async () => {
    const direct = client(broker!.bootstrap, 'offsets').admin();
    await direct.connect();
    const total = async (topic: string): Promise<number> => (await direct.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    const paymentsBefore = await total(TOPIC);
    const marketingBefore = await total('marketing.events');
    const producer = client(rogueInlet, 'rogue-producer').producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic: TOPIC, messages: [{ key: 'account-1', value: 'forged payment 1' }] })).rejects.toThrow(/not authorized/i);
    // The same producer, the same broker connection: a topic the policy allows still works.
    await producer.send({ topic: 'marketing.events', messages: [{ value: 'rogue event 1' }] });
    // One request for both topics: the allowed topic is written, the refused one answers the authorization error.
    await expect(producer.sendBatch({ topicMessages: [
      { topic: TOPIC, messages: [{ key: 'account-2', value: 'forged payment 2' }] },
      { topic: 'marketing.events', messages: [{ value: 'rogue event 2' }] },
    ] })).rejects.toThrow(/not authorized/i);
    await producer.send({ topic: 'marketing.events', messages: [{ value: 'rogue event 3' }] });
    await producer.disconnect();
    expect(await total(TOPIC)).toBe(paymentsBefore);
    expect(await total('marketing.events')).toBe(marketingBefore + 3);
    await direct.disconnect();
    const denials = await s.json<{ denials: { resource: { type: string; name: string }; action: string; reason: string }[] }>('bank', ['policy', 'denials']);
    expect(denials.denials.some((d) => d.resource.type === 'kafka-produce' && d.resource.name === TOPIC && d.action === 'produce')).toBe(true);
    expect(denials.denials.some((d) => d.resource.type === 'kafka-produce' && d.resource.name === 'marketing.events')).toBe(false);
    const outlet = await s.json<{ produceAllow?: string; status: { produce?: { refusedPartitions: number; refusedRequests: number }; lastError?: string } }>('bank', ['kafka-outlet', 'show']);
    expect(outlet.produceAllow).toBe(PRODUCE_POLICY);
    expect(outlet.status.produce?.refusedPartitions).toBeGreaterThanOrEqual(2);
    expect(outlet.status.produce?.refusedRequests).toBeGreaterThanOrEqual(1);
    expect(outlet.status.lastError).toMatch(/kafka-produce policy for topic payments\.orders/);
  }, 60_000);

  it('records produced directly to the broker pass the consumer inlet unchanged, without a symbolon-key header', async () => {
    const producer = client(broker!.bootstrap, 'direct').producer();
    await producer.connect();
    await producer.send({ topic: 'shared.events', messages: [{ key: 'k', value: 'written directly' }] });
    await producer.disconnect();
    const inletProducer = client(producerInlet, 'through').producer();
    await inletProducer.connect();
    await inletProducer.send({ topic: 'shared.events', messages: [{ key: 'k', value: 'written through the inlet' }] });
    await inletProducer.disconnect();
    const seen = await consumeAll(consumerInlet, 'direct-check', 'shared.events', 2);
    const direct = seen.find((r) => r.value === 'written directly');
    const sealed = seen.find((r) => r.value === 'written through the inlet');
    expect(direct?.headers['symbolon-key']).toBeUndefined();
    expect(sealed?.headers['symbolon-key']?.toString()).toMatch(/^[0-9a-f]{32}$/);
    expect(topicSegments(broker!, 'shared.events').includes('written directly')).toBe(true);
    expect(topicSegments(broker!, 'shared.events').includes('written through the inlet')).toBe(false);
  }, 60_000);

  it('--encrypted-field: only the named JSON fields are ciphertext on the broker; the consumer gets the whole object back', async () => {
    const producer = client(fieldsInlet, 'fields').producer();
    await producer.connect();
    const orders = Array.from({ length: 20 }, (_, i) => ({ order: i, card: `4111-0000-${String(i).padStart(4, '0')}`, holder: { name: `holder-${i}` }, amount: 100 + i }));
    await producer.send({ topic: 'cards.orders', messages: orders.map((o) => ({ value: JSON.stringify(o) })) });
    await producer.disconnect();
    const seen = await consumeAll(consumerInlet, 'fields-check', 'cards.orders', orders.length);
    expect(seen.map((r) => JSON.parse(r.value)).sort((a, b) => a.order - b.order)).toEqual(orders);
    expect(seen.every((r) => r.headers['symbolon-fields']?.toString() === 'card,holder')).toBe(true);
    const disk = topicSegments(broker!, 'cards.orders');
    expect(disk.includes('4111-0000')).toBe(false);
    expect(disk.includes('holder-')).toBe(false);
    expect(disk.includes('"amount":105')).toBe(true);
  }, 60_000);

  it('kafka-inlet show lists the node\'s data keys, ids and ages, never their bytes; --key-rotation replaces a topic\'s key on schedule', async () => {
    type Shown = { keyRotationSeconds?: number; keyRetentionSeconds?: number; keys: { id: string; topic: string; ageSeconds: number; current: boolean; expiresAt: string }[] };
    const before = await s.json<Shown>('bank', ['kafka-inlet', 'show', fieldsInlet]);
    expect([before.keyRotationSeconds, before.keyRetentionSeconds]).toEqual([2, 3600]);
    const first = before.keys.filter((k) => k.topic === 'cards.orders');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{32}$/), current: true });
    expect(first[0]!.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(Date.parse(first[0]!.expiresAt)).toBeGreaterThan(Date.now() + 3_000_000);
    await new Promise((r) => setTimeout(r, 2_100));
    const producer = client(fieldsInlet, 'rotation').producer();
    await producer.connect();
    await producer.send({ topic: 'cards.orders', messages: [{ value: JSON.stringify({ card: 'after rotation' }) }] });
    await producer.disconnect();
    const after = await s.json<Shown>('bank', ['kafka-inlet', 'show', fieldsInlet]);
    const card = after.keys.filter((k) => k.topic === 'cards.orders');
    expect(card.map((k) => k.id).sort()).toEqual([first[0]!.id, card.find((k) => k.current)!.id].sort());
    expect(card.filter((k) => k.current)).toHaveLength(1);
    expect(card.find((k) => k.current)!.id).not.toBe(first[0]!.id);
    const secrets = (JSON.parse(readFileSync(join(s.homes.bank, 'nodes', 'bank', 'kafka-keys.json'), 'utf8')) as { keys: { secret: string }[] }).keys.map((k) => k.secret);
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    const text = JSON.stringify(after) + await s.ok('bank', ['kafka-inlet', 'show', fieldsInlet]);
    for (const secret of secrets) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(Buffer.from(secret, 'base64').toString('hex'));
    }
  }, 60_000);

  it('a compressed batch produced through the inlet is refused with a clear error; nothing reaches the broker', async () => {
    const producer = client(producerInlet, 'gzip').producer({ retry: { retries: 0 } });
    await producer.connect();
    await expect(producer.send({ topic: 'shared.events', compression: CompressionTypes.GZIP, messages: [{ value: 'compressed secret' }] })).rejects.toThrow(/compression/i);
    await producer.disconnect();
    expect(topicSegments(broker!, 'shared.events').includes('compressed secret')).toBe(false);
    const shown = await s.json<{ status: { refusedProduce: number; lastError?: string } }>('bank', ['kafka-inlet', 'show', producerInlet]);
    expect(shown.status.refusedProduce).toBeGreaterThanOrEqual(1);
    expect(shown.status.lastError).toMatch(/gzip-compressed batches cannot be encrypted/);
  }, 60_000);

  it('two consumers in one group through the inlet share the partitions', async () => {
    const assignments = new Map<string, number[]>();
    const consumers = ['a', 'b'].map((id) => client(consumerInlet, `group-${id}`).consumer({ groupId: 'sharing', maxWaitTimeInMs: 200 }));
    try {
      await Promise.all(consumers.map(async (c, i) => {
        c.on(c.events.GROUP_JOIN, (e) => { assignments.set(String(i), (e.payload.memberAssignment[TOPIC] ?? []) as number[]); });
        await c.connect();
        await c.subscribe({ topic: TOPIC, fromBeginning: true });
        await c.run({ eachMessage: async () => undefined });
      }));
      const deadline = Date.now() + 45_000;
      while (Date.now() < deadline) {
        const a = assignments.get('0') ?? [];
        const b = assignments.get('1') ?? [];
        if (a.length === 1 && b.length === 1) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      const all = [...(assignments.get('0') ?? []), ...(assignments.get('1') ?? [])].sort();
      expect(assignments.get('0')).toHaveLength(1);
      expect(assignments.get('1')).toHaveLength(1);
      expect(all).toEqual([0, 1]);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
    }
  }, 60_000);

  it('malformed frames close only that client connection; other clients of the inlet keep working', async () => {
    const admin = client(consumerInlet, 'steady').admin();
    await admin.connect();
    const closedAfter = async (bytes: Buffer): Promise<boolean> => new Promise((resolve) => {
      const socket = connect(Number(consumerInlet.split(':')[1]), '127.0.0.1', () => socket.write(bytes));
      const timer = setTimeout(() => { socket.destroy(); resolve(false); }, 10_000);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => { clearTimeout(timer); resolve(true); });
    });
    // An oversized frame length, a frame too short for a request header, a Produce request above the versions the inlet negotiates.
    expect(await closedAfter(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]))).toBe(true);
    expect(await closedAfter(Buffer.from([0, 0, 0, 2, 0, 0]))).toBe(true);
    expect(await closedAfter(Buffer.from([0, 0, 0, 10, 0, 0, 0, 99, 0, 0, 0, 1, 0xff, 0xff]))).toBe(true);
    expect((await admin.listTopics()).sort()).toEqual(expect.arrayContaining([TOPIC, 'shared.events']));
    await admin.disconnect();
    const shown = await s.json<{ status: { malformed: number; lastError?: string } }>('analysis', ['kafka-inlet', 'show', consumerInlet]);
    expect(shown.status.malformed).toBeGreaterThanOrEqual(3);
    expect(shown.status.lastError).toBeDefined();
  }, 60_000);

  it('Kafka outlets and inlets are restored after node stop / node start: records flow end to end again and the produce policy still holds', async () => {
    const admin = client(broker!.bootstrap, 'restart-setup').admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'payments.restart', numPartitions: 1 }], waitForLeaders: true });
    const total = async (topic: string): Promise<number> => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
    // Bank's node (the outlet, the producer's inlets), the analytics node (the consumer's inlet) and the marketing node (an inlet through the relay).
    const analytics = await s.defaultNode('analysis');
    await s.ok('bank', ['node', 'stop', 'bank']);
    await s.ok('analysis', ['node', 'stop', analytics]);
    await s.ok('marketing', ['node', 'stop', 'rogue']);
    await s.ok('bank', ['node', 'start', 'bank']);
    await s.ok('analysis', ['node', 'start', analytics]);
    await s.ok('marketing', ['node', 'start', 'rogue']);
    const outlets = await s.json<{ outlets: { address: string; produceAllow?: string; status: { running: boolean } }[] }>('bank', ['kafka-outlet', 'list']);
    expect(outlets.outlets.map((o) => [o.address, o.produceAllow, o.status.running])).toEqual([['kafka', PRODUCE_POLICY, true]]);
    const bankInlets = await s.json<{ inlets: { name: string; encryptedFields?: string[]; status?: { running: boolean } }[] }>('bank', ['kafka-inlet', 'list']);
    expect(bankInlets.inlets.map((i) => [i.name, i.status?.running, i.encryptedFields]).sort()).toEqual([[fieldsInlet, true, ['card', 'holder']], [producerInlet, true, undefined]].sort());
    const rogueInlets = await s.json<{ inlets: { name: string; status?: { running: boolean } }[] }>('marketing', ['kafka-inlet', 'list', '--at', 'rogue']);
    expect(rogueInlets.inlets.map((i) => [i.name, i.status?.running])).toEqual([[rogueInlet, true]]);

    const producer = client(producerInlet, 'after-restart').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'payments.restart', messages: Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: `${MARKER}restart-${i}` })) });
    await producer.disconnect();
    const seen = await consumeAll(consumerInlet, 'after-restart', 'payments.restart', 20);
    expect(seen.map((r) => r.value)).toEqual(Array.from({ length: 20 }, (_, i) => `${MARKER}restart-${i}`));
    expect(topicSegments(broker!, 'payments.restart').includes(MARKER)).toBe(false);

    const rogue = client(rogueInlet, 'rogue-after-restart').producer({ allowAutoTopicCreation: false, retry: { retries: 5, initialRetryTime: 300 } });
    await rogue.connect();
    const marketingBefore = await total('marketing.events');
    await rogue.send({ topic: 'marketing.events', messages: [{ value: 'rogue event after restart' }] });
    await expect(rogue.send({ topic: 'payments.restart', messages: [{ value: 'forged after restart' }] })).rejects.toThrow(/not authorized/i);
    await rogue.disconnect();
    expect(await total('marketing.events')).toBe(marketingBefore + 1);
    expect(await total('payments.restart')).toBe(20);
    await admin.disconnect();
  }, 90_000);
});
