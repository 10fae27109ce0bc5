/**
 * `npm run bench`: every figure of BENCHMARKS.md from one run, with the raw-TCP baseline
 * measured in the same run, as a table (stdout) and JSON (`.tmp/bench.json`; with
 * `--json` the JSON goes to stdout and the table to stderr).
 *
 * Options: `--only throughput,idle,handshakes,policy,credentials,pgbench,kafka,replicas` runs a subset; for
 * clean JSON on stdout use `npm run -s bench -- --json` (npm's banner goes to stdout).
 * Environment: BENCH_BULK_MIB (default 256), BENCH_RUNS (3), BENCH_ROUND_TRIP_SECONDS (3),
 * BENCH_IDLE_CONNECTIONS (2000, up to 10000), BENCH_PGBENCH_SECONDS (5), BENCH_KAFKA_RECORDS (20000), BENCH_SESSIONS (16 concurrent
 * sessions of the aggregate bulk figure; 0 skips it); for studies, BENCH_CPU_PROF=DIR (V8 profile
 * of every child process), BENCH_PORTAL_WINDOW=BYTES (portal credit window) and BENCH_NODE_GC=MODE
 * (GC of the node processes: auto, single-threaded, parallel), BENCH_PATHS=raw,channel,relay,... (only those rows).
 * Every node, client and server runs in its own process; all of them exit with the run, as
 * do the sshd, ssh and stunnel processes of the comparison rows (see comparisons.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { benchPolicyDecisions } from './policy.js';
import { benchCredentialIssuance } from './authority.js';
import { benchThroughput } from './portal.js';
import { benchIdleConnections } from './idle-connections.js';
import { BenchChild, killAllChildren } from './support/child-rpc.js';
import { createBenchAuthority } from './support/bench-identity.js';
import { benchSecureChannels } from './handshake.js';
import { benchHandshakeFlood } from './handshake-flood.js';
import { benchHandshakeProcesses } from './handshake-processes.js';
import { benchPgbench } from './pgbench.js';
import { benchKafka } from './kafka.js';
import { benchReplicas } from './replicas.js';
import { benchReplicaHandshakes } from './replica-handshakes.js';
import { benchAudit } from './audit.js';
import { buildRows } from './support/report-rows.js';
import type { BenchResults } from './support/report-rows.js';
import { renderTable } from './support/report.js';

const SECTIONS = ['policy', 'credentials', 'handshakes', 'throughput', 'idle', 'pgbench', 'kafka', 'replicas', 'audit'] as const;
type Section = (typeof SECTIONS)[number];

function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`bench: ${name} must be an integer ${min}..${max}; using ${fallback}\n`);
    return fallback;
  }
  return n;
}

function selectedSections(argv: readonly string[]): Set<Section> {
  const i = argv.indexOf('--only');
  const list = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (list === undefined) return new Set(SECTIONS);
  const chosen = list.split(',').map((s) => s.trim()).filter((s): s is Section => (SECTIONS as readonly string[]).includes(s));
  return new Set(chosen);
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const sections = selectedSections(process.argv.slice(2));
  const config = {
    bulkMiB: envInt('BENCH_BULK_MIB', 256, 1, 4096),
    runs: envInt('BENCH_RUNS', 3, 1, 20),
    roundTripSeconds: envInt('BENCH_ROUND_TRIP_SECONDS', 3, 1, 60),
    idleConnections: envInt('BENCH_IDLE_CONNECTIONS', 2000, 10, 10_000),
    pgbenchSeconds: envInt('BENCH_PGBENCH_SECONDS', 5, 1, 60),
    sessions: envInt('BENCH_SESSIONS', 16, 0, 256),
    kafkaRecords: envInt('BENCH_KAFKA_RECORDS', 20_000, 1000, 1_000_000),
    auditRecords: envInt('BENCH_AUDIT_RECORDS', 1_000_000, 1000, 10_000_000),
  };
  const startedAt = new Date();
  const t0 = performance.now();
  const results: BenchResults = { errors: {} };
  const attempt = async <T>(section: Section, what: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!sections.has(section)) return undefined;
    log(`bench: ${what} ...`);
    const t = performance.now();
    try {
      const r = await run();
      log(`bench: ${what} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      return r;
    } catch (error) {
      results.errors[section] = error instanceof Error ? error.message : String(error);
      log(`bench: ${what} failed: ${results.errors[section]}`);
      return undefined;
    }
  };

  results.policy = await attempt('policy', 'policy decisions (in process)', () => benchPolicyDecisions());
  results.credentials = await attempt('credentials', 'credential issuance with the audit log (in process)', () => benchCredentialIssuance());
  results.handshakes = await attempt('handshakes', 'mutual-auth handshakes (two nodes in process, over TCP)', () => benchSecureChannels());
  results.handshakeProcesses = await attempt('handshakes', 'mutual-auth handshakes, initiator and responder in two processes', () => benchHandshakeProcesses());
  results.handshakeFlood = await attempt('handshakes', 'handshakes during a message 1 flood from another process and source address', () => benchHandshakeFlood());

  const needProcesses = sections.has('throughput') || sections.has('idle');
  if (needProcesses) {
    const [sinkProcess, client] = await Promise.all([BenchChild.start('sink'), BenchChild.start('client')]);
    try {
      const { address: sink } = await sinkProcess.call<{ address: string }>('sink');
      const pathOptions = { bulkBytes: config.bulkMiB * 1024 * 1024, runs: config.runs, roundTripMs: config.roundTripSeconds * 1000, sessions: config.sessions };
      const authority = await createBenchAuthority();
      results.throughput = await attempt('throughput', 'raw TCP, ssh -L, stunnel and portal paths (plain, one channel over TCP, WebSocket and UDP, relay), interleaved', () =>
        benchThroughput({ client, sink, sinkPid: sinkProcess.pid, authority, ...pathOptions }));
      results.idle = await attempt('idle', `${config.idleConnections} idle portal connections`, () =>
        benchIdleConnections({ client, sink, authority, count: config.idleConnections }));
    } finally {
      await Promise.all([client.stop(), sinkProcess.stop()]);
    }
  }

  results.pgbench = await attempt('pgbench', 'pgbench -S, direct and through the relay portal, interleaved', () =>
    benchPgbench({ seconds: config.pgbenchSeconds, runs: config.runs }));

  results.kafka = await attempt('kafka', 'Kafka records produced and consumed, direct and through the Kafka inlets, interleaved', () =>
    benchKafka({ records: config.kafkaRecords, runs: config.runs }));
  results.replicaProcesses = await attempt('replicas', 'handshakes and credentials with 1 and 3 project node replica processes on one Postgres', () => benchReplicaHandshakes());
  results.replicas = await attempt('replicas', 'credentials through 1 and 3 replicas on one Postgres, relay directory lookups (in process)', () => benchReplicas());

  results.audit = await attempt('audit', `audit records/s with Merkle checkpoints, proofs on a log of ${config.auditRecords} records (in process)`, () =>
    benchAudit({ logRecords: config.auditRecords }));

  const rows = buildRows(results);
  const report = {
    startedAt: startedAt.toISOString(),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: process.platform },
    config,
    results,
    rows,
  };
  const out = resolve('.tmp');
  mkdirSync(out, { recursive: true });
  writeFileSync(resolve(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  const table = `${renderTable(rows)}\n\n${report.seconds} s on ${report.machine.cpus} x ${report.machine.cpu}, Node ${report.machine.node}; JSON in .tmp/bench.json\n`;
  if (json) {
    process.stderr.write(table);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else process.stdout.write(table);
}

const watchdog = setTimeout(() => {
  log('bench: gave up after 10 minutes');
  killAllChildren();
  process.exit(1);
}, 600_000);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
main().then(
  () => {
    killAllChildren();
    process.exit(0);
  },
  (error: unknown) => {
    log(`bench: ${error instanceof Error ? error.message : String(error)}`);
    killAllChildren();
    process.exit(1);
  },
);
