import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running throwaway single-node Apache Kafka broker (KRaft, broker and controller in one process). */
export interface TestKafka {
  /** `127.0.0.1:PORT` of the PLAINTEXT listener. */
  readonly bootstrap: string;
  /** The temp directory holding the config, the log dirs (`data/`) and the broker's output (`broker.log`). */
  readonly dir: string;
  /** The folder holding the topic partitions' log segments. */
  readonly dataDir: string;
  /** Milliseconds from spawning java to "Kafka Server started". */
  readonly startupMs: number;
  /** Stops the broker (SIGTERM, then SIGKILL after 10 s) and deletes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The broker's pom: beside the sources (tests) or, from the compiled bench, in the working directory (the repository). */
function pomPath(): string {
  const fromSource = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'integration', 'kafka', 'broker', 'pom.xml');
  return existsSync(fromSource) ? fromSource : resolve('integration', 'kafka', 'broker', 'pom.xml');
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
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

/** The Kafka version the pom fetches (`<kafka.version>`). */
export function kafkaVersion(): string {
  const pom = pomPath();
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pom, 'utf8'));
  if (!match) throw new Error(`no <kafka.version> in ${pom}`);
  return match[1]!;
}

/**
 * The folder of the broker's jars (fetched by `integration/kafka/broker/fetch.sh`), or
 * undefined when they are not there or java is missing. `SYMBOLON_KAFKA_HOME` overrides
 * `~/.cache/symbolon/kafka-VERSION`.
 */
export function kafkaJars(): string | undefined {
  const home = process.env.SYMBOLON_KAFKA_HOME ?? join(homedir(), '.cache', 'symbolon', `kafka-${kafkaVersion()}`);
  if (!existsSync(join(home, '.complete'))) return undefined;
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) return undefined;
  return join(home, 'jars');
}

/** Why the broker cannot start here, for skip and failure messages. */
export const KAFKA_MISSING = 'Kafka broker jars not fetched (run integration/kafka/broker/fetch.sh; needs java 17 and mvn)';

/** CI sets SYMBOLON_REQUIRE_KAFKA=1 (.ci/run): a missing broker then fails the Kafka tests instead of skipping them. */
export const kafkaRequired = process.env.SYMBOLON_REQUIRE_KAFKA === '1';

/** Options for {@link startTestKafka}. */
export interface TestKafkaOptions {
  /** Default partitions of auto-created topics (default 2). */
  readonly partitions?: number;
  /** Java heap (default 512m). */
  readonly heap?: string;
  /** How long to wait for start-up, in ms (default 90 000). */
  readonly timeoutMs?: number;
}

/**
 * Formats a KRaft storage directory in a fresh temp folder and starts a single-node combined
 * broker/controller on two free loopback ports with `java -cp 'jars/*' kafka.Kafka
 * server.properties`; resolves once the broker logs "Kafka Server started". Throws (after
 * cleaning up) with the broker's last output when it does not start.
 */
export async function startTestKafka(options: TestKafkaOptions = {}): Promise<TestKafka> {
  const jars = kafkaJars();
  if (jars === undefined) throw new Error(KAFKA_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'symbolon-kafka-'));
  const dataDir = join(dir, 'data');
  const classpath = `${jars}/*`;
  let child: ChildProcess | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const proc = child;
    if (proc !== undefined && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [port, controllerPort] = [await freePort(), await freePort()];
    const properties = join(dir, 'server.properties');
    writeFileSync(properties, [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${dataDir}`,
      `num.partitions=${options.partitions ?? 2}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      '',
    ].join('\n'));
    // A Kafka cluster id is 16 bytes in base64url; one starting with '-' would read as an option.
    let clusterId = '-';
    while (!/^[A-Za-z0-9]/.test(clusterId)) clusterId = randomBytes(16).toString('base64url').slice(0, 22);
    const format = spawnSync('java', ['-Xmx256m', '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', properties], { encoding: 'utf8' });
    if (format.status !== 0) throw new Error(`kafka storage format failed (exit ${format.status}): ${(format.stderr || format.stdout).trim().split('\n').slice(-3).join(' | ')}`);

    const started = Date.now();
    const logFile = join(dir, 'broker.log');
    const proc = spawn('java', [`-Xmx${options.heap ?? '512m'}`, '-XX:+UseSerialGC', '-cp', classpath, 'kafka.Kafka', properties], {
      cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_DIR: dir },
    });
    child = proc;
    let output = '';
    const tail: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafka did not start within ${(options.timeoutMs ?? 90_000) / 1000} s: ${tail.join(' | ')}`)), options.timeoutMs ?? 90_000);
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        writeFileSync(logFile, text, { flag: 'a' });
        output = (output + text).slice(-4096);
        for (const line of text.split('\n')) if (line.trim()) tail.push(line.trim()) > 5 && tail.shift();
        if (output.includes('Kafka Server started')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`kafka exited during start-up (${code ?? signal}): ${tail.join(' | ')}`));
      });
    });
    // Keep draining the pipes into the log file; never let a full pipe block the broker.
    proc.stdout!.removeAllListeners('data');
    proc.stderr!.removeAllListeners('data');
    const keep = (chunk: Buffer): void => { if (!stopped) writeFileSync(logFile, chunk, { flag: 'a' }); };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    return { bootstrap: `127.0.0.1:${port}`, dir, dataDir, startupMs: Date.now() - started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
