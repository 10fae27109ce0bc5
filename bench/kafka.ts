/**
 * Kafka records per second, produced and consumed directly against a real broker and
 * through the Kafka inlets (producer inlet -> its own node's Kafka outlet; consumer inlet ->
 * relay on a project node -> the outlet's node), values encrypted and decrypted end to end,
 * in the same run and interleaved round by round (direct, inlets, direct, inlets, ...). The
 * nodes are real node processes set up with the built CLI (`dist/`), each actor in its own
 * temporary home, as the README's scenario. Skipped with a reason when the broker's jars
 * (integration/kafka/broker/fetch.sh) or the build are missing.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { KAFKA_MISSING, kafkaJars, startTestKafka, type TestKafka } from './support/kafka-broker.js';
import { median, round1 } from './support/measure-path.js';

/** What {@link benchKafka} measured, or why it was skipped. */
export type KafkaBench =
  | { readonly skipped: string }
  | {
    readonly records: number;
    readonly valueBytes: number;
    /** Medians over the rounds, records per second. */
    readonly producedDirect: number;
    readonly producedInlet: number;
    readonly consumedDirect: number;
    readonly consumedInlet: number;
    /** Per-round figures, in run order. */
    readonly rounds: readonly { readonly producedDirect: number; readonly producedInlet: number; readonly consumedDirect: number; readonly consumedInlet: number }[];
  };

/** Inputs of {@link benchKafka}. */
export interface KafkaBenchOptions {
  /** Records per measurement (BENCH_KAFKA_RECORDS). */
  readonly records: number;
  readonly runs: number;
}

const VALUE_BYTES = 100;
const BATCH = 500;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** Runs the built CLI as the actor whose home is `home`; resolves with stdout, rejects with stderr. */
function cli(home: string, args: readonly string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve('bin/run.js'), ...args], { env: { ...process.env, SYMBOLON_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) done(out);
      else fail(new Error(`symbolon ${args.join(' ')} exited ${code}: ${(err || out).trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

function client(bootstrap: string): Kafka {
  return new Kafka({ brokers: [bootstrap], clientId: 'bench', logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200 } });
}

async function produce(bootstrap: string, topic: string, records: number): Promise<number> {
  const producer = client(bootstrap).producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const value = 'v'.repeat(VALUE_BYTES);
  try {
    const t0 = performance.now();
    for (let sent = 0; sent < records; sent += BATCH) {
      await producer.send({ topic, acks: 1, messages: Array.from({ length: Math.min(BATCH, records - sent) }, (_, i) => ({ key: String((sent + i) % 16), value })) });
    }
    return records / ((performance.now() - t0) / 1000);
  } finally {
    await producer.disconnect();
  }
}

async function consume(bootstrap: string, topic: string, records: number): Promise<number> {
  const consumer = client(bootstrap).consumer({ groupId: `bench-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    let t0 = 0;
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`consumed ${seen} of ${records} records within 120 s`)), 120_000);
      consumer.on(consumer.events.CRASH, (e) => { clearTimeout(timer); fail(e.payload.error); });
      void consumer.run({
        eachBatch: async ({ batch }) => {
          if (t0 === 0) t0 = performance.now();
          seen += batch.messages.length;
          if (seen >= records) { clearTimeout(timer); done(); }
        },
      });
    });
    // From the first batch on: group join and the first fetch's wait are not throughput.
    return seen / ((performance.now() - t0) / 1000);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** The project, three homes and the two inlets of the README's shape around `broker`. */
async function scenario(root: string, broker: TestKafka): Promise<{ producer: string; consumer: string }> {
  const homes = { admin: join(root, 'admin'), bank: join(root, 'bank'), analysis: join(root, 'analysis') };
  for (const h of Object.values(homes)) mkdirSync(h, { mode: 0o700 });
  const [projectPort, bankPort, p1, p2] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  await cli(homes.admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
  const bankTicket = join(root, 'bank.ticket');
  const analysisTicket = join(root, 'analysis.ticket');
  writeFileSync(bankTicket, await cli(homes.admin, ['project', 'ticket', '--attribute', 'component=db', '--relay', 'kafka']), { mode: 0o600 });
  writeFileSync(analysisTicket, await cli(homes.admin, ['project', 'ticket', '--attribute', 'component=analysis']), { mode: 0o600 });
  await cli(homes.bank, ['node', 'create', 'bank', '--tcp-listener-address', `127.0.0.1:${bankPort}`]);
  await cli(homes.bank, ['project', 'enroll', bankTicket]);
  await cli(homes.bank, ['kafka-outlet', 'create', '--bootstrap-server', broker.bootstrap, '--allow', 'subject.component in ["analysis", "db"]']);
  await cli(homes.bank, ['relay', 'create', 'kafka']);
  await cli(homes.bank, ['kafka-inlet', 'create', '--from', `127.0.0.1:${p1}`, '--to', `/ip4/127.0.0.1/tcp/${bankPort}/service/api`, '--allow', 'subject.component == "db"']);
  await cli(homes.analysis, ['project', 'enroll', analysisTicket]);
  await cli(homes.analysis, ['kafka-inlet', 'create', '--from', `127.0.0.1:${p2}`, '--via', 'kafka', '--allow', 'subject.component == "db"']);
  return { producer: `127.0.0.1:${p1}`, consumer: `127.0.0.1:${p2}` };
}

/** Produces and consumes `records` records directly and through the inlets, `runs` rounds, interleaved. */
export async function benchKafka(options: KafkaBenchOptions): Promise<KafkaBench> {
  if (kafkaJars() === undefined) return { skipped: KAFKA_MISSING };
  if (!existsSync(resolve('dist/cli/commands'))) return { skipped: 'the CLI is not built (npm run build)' };
  const broker = await startTestKafka({ partitions: 4 });
  const root = mkdtempSync(join(tmpdir(), 'symbolon-bench-kafka-'));
  const homes = ['admin', 'bank', 'analysis'].map((a) => join(root, a));
  try {
    const inlets = await scenario(root, broker);
    const admin = client(broker.bootstrap).admin();
    await admin.connect();
    const topics = Array.from({ length: options.runs + 1 }, (_, i) => [`bench-direct-${i}`, `bench-inlet-${i}`]).flat();
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 4 })), waitForLeaders: true });
    await admin.disconnect();
    // Warm-up round (uncounted): connections, broker listeners, data keys.
    await produce(inlets.producer, 'bench-inlet-0', 1000);
    await consume(inlets.consumer, 'bench-inlet-0', 1000);
    const rounds = [];
    for (let run = 1; run <= options.runs; run++) {
      const producedDirect = await produce(broker.bootstrap, `bench-direct-${run}`, options.records);
      const producedInlet = await produce(inlets.producer, `bench-inlet-${run}`, options.records);
      const consumedDirect = await consume(broker.bootstrap, `bench-direct-${run}`, options.records);
      const consumedInlet = await consume(inlets.consumer, `bench-inlet-${run}`, options.records);
      rounds.push({ producedDirect: round1(producedDirect), producedInlet: round1(producedInlet), consumedDirect: round1(consumedDirect), consumedInlet: round1(consumedInlet) });
    }
    return {
      records: options.records, valueBytes: VALUE_BYTES, rounds,
      producedDirect: median(rounds.map((r) => r.producedDirect)), producedInlet: median(rounds.map((r) => r.producedInlet)),
      consumedDirect: median(rounds.map((r) => r.consumedDirect)), consumedInlet: median(rounds.map((r) => r.consumedInlet)),
    };
  } finally {
    await Promise.all(homes.map((home) => cli(home, ['node', 'delete', '--all', '--yes']).catch(() => undefined)));
    rmSync(root, { recursive: true, force: true });
    await broker.stop();
  }
}
