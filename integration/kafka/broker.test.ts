import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_MISSING, kafkaJars, kafkaRequired, startTestKafka, type TestKafka } from '../support/kafka.js';

describe.skipIf(kafkaJars() === undefined && !kafkaRequired)('the test Kafka broker (KRaft, single node) with kafkajs, directly', () => {
  let broker: TestKafka | undefined;

  beforeAll(async () => {
    if (kafkaJars() === undefined) throw new Error(`${KAFKA_MISSING}; SYMBOLON_REQUIRE_KAFKA=1 requires it`);
    broker = await startTestKafka();
  }, 120_000);

  afterAll(async () => {
    await broker?.stop();
  }, 30_000);

  it('produces and consumes through a consumer group, then stops and removes its folder', async () => {
    const kafka = new Kafka({ brokers: [broker!.bootstrap], clientId: 'broker-check', logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'check', numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'check', messages: Array.from({ length: 100 }, (_, i) => ({ key: String(i), value: `value-${i}` })) });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'check-group' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'check', fromBeginning: true });
    const seen = new Set<string>();
    await new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => { seen.add(message.value!.toString()); if (seen.size === 100) resolve(); } });
    });
    await consumer.disconnect();
    expect(seen.size).toBe(100);
    expect(broker!.startupMs).toBeGreaterThan(0);
    const dir = broker!.dir;
    await broker!.stop();
    expect(existsSync(dir)).toBe(false);
  }, 60_000);
});
