/**
 * pgbench -S (select-only, one client) against a real PostgreSQL server, directly and
 * through the relay portal (inlet -> project relay -> outlet -> server, three secure
 * channels, the scenario's CEL policies; see portal-topology.ts), interleaved round by
 * round (direct, relay, direct, relay, ...) so load changes on the machine hit both alike.
 * A short uncounted relay run warms the node processes up first. The figure is the ratio
 * of the median TPS through the relay to the median direct TPS.
 */
import { spawn } from 'node:child_process';
import { startPortalTopology } from './portal-topology.js';
import { startBenchPostgres } from './support/postgres-server.js';
import { createBenchAuthority } from './support/bench-identity.js';
import { median, round1 } from './support/measure-path.js';
import { IoError, TimeoutError, UnsupportedError } from '../core/errors.js';

/** The BENCHMARKS.md target: TPS through the relay portal over direct TPS. */
export const PGBENCH_TARGET_RATIO = 0.5;

/** One pgbench run's figures. */
export interface PgbenchRun {
  /** Transactions per second, without the initial connection time. */
  readonly tps: number;
  /** Average latency in milliseconds. */
  readonly latencyMs: number;
}

/** What {@link benchPgbench} measured, or why it was skipped. */
export type PgbenchBench =
  | { readonly skipped: string }
  | {
    readonly seconds: number;
    /** Per-round figures, in run order. */
    readonly direct: readonly PgbenchRun[];
    readonly relay: readonly PgbenchRun[];
    /** Medians of the rounds. */
    readonly directTps: number;
    readonly relayTps: number;
    /** relayTps / directTps, two decimals. */
    readonly ratio: number;
  };

/** Inputs of {@link benchPgbench}. */
export interface PgbenchBenchOptions {
  /** Length of each pgbench run (BENCH_PGBENCH_SECONDS). */
  readonly seconds: number;
  /** Rounds; each round runs direct then relay. */
  readonly runs: number;
  readonly signal?: AbortSignal;
}

/** Reads TPS and average latency from pgbench's report; throws when they are absent. */
export function parsePgbenchOutput(text: string): PgbenchRun {
  const tps = /^tps = ([\d.]+) \(without initial connection time\)/m.exec(text) ?? /^tps = ([\d.]+)/m.exec(text);
  const latency = /^latency average = ([\d.]+) ms/m.exec(text);
  if (!tps || !latency) throw new IoError('portal', `pgbench printed no tps/latency: ${text.trim().split('\n').slice(-2).join(' | ')}`);
  return { tps: Number(tps[1]), latencyMs: Number(latency[1]) };
}

/** Runs `pgbench args` to completion; rejects with its last output lines on failure, timeout or abort. */
function runPgbench(bin: string, args: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' }, ...(signal ? { signal } : {}) });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.once('error', (error) => { clearTimeout(timer); reject(new IoError('portal', `pgbench: ${error.message}`, { cause: error })); });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (timedOut) reject(new TimeoutError('portal', `pgbench did not finish within ${timeoutMs} ms`));
      else if (code === 0) resolve(out);
      else reject(new IoError('portal', `pgbench exited ${code}: ${out.trim().split('\n').slice(-2).join(' | ')}`));
    });
  });
}

function hostPort(address: string): { host: string; port: string } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i), port: address.slice(i + 1) };
}

/**
 * Starts the server and the relay topology (its outlet targeting the server), initializes
 * pgbench's tables (scale 1), measures, and stops everything it started, also on failure.
 */
export async function benchPgbench(options: PgbenchBenchOptions): Promise<PgbenchBench> {
  const { seconds, runs, signal } = options;
  let server;
  try {
    server = await startBenchPostgres({ signal });
  } catch (error) {
    if (error instanceof UnsupportedError) return { skipped: error.message };
    throw error;
  }
  try {
    const target = `${server.host}:${server.port}`;
    const common = ['-U', 'postgres', 'postgres'];
    await runPgbench(server.pgbench, ['-i', '-s', '1', '-q', '-h', server.host, '-p', String(server.port), ...common], 120_000, signal);
    const topology = await startPortalTopology({ sink: target, authority: await createBenchAuthority(), paths: ['relay'], signal });
    try {
      const inlet = topology.inlets.relay;
      if (!inlet) throw new IoError('portal', `relay path unavailable: ${topology.missing.relay ?? 'unknown'}`);
      const select = async (address: string, duration = seconds): Promise<PgbenchRun> => {
        const { host, port } = hostPort(address);
        const args = ['-S', '-n', '-c', '1', '-T', String(duration), '-h', host, '-p', port, ...common];
        return parsePgbenchOutput(await runPgbench(server.pgbench, args, (duration + 60) * 1000, signal));
      };
      // Not counted: lets the node processes' JIT settle on the relay path first.
      await select(inlet, Math.min(seconds, 2));
      const direct: PgbenchRun[] = [];
      const relay: PgbenchRun[] = [];
      for (let round = 0; round < runs; round++) {
        direct.push(await select(target));
        relay.push(await select(inlet));
      }
      const directTps = round1(median(direct.map((r) => r.tps)));
      const relayTps = round1(median(relay.map((r) => r.tps)));
      const ratio = directTps > 0 ? Math.round((relayTps / directTps) * 100) / 100 : Number.NaN;
      return { seconds, direct, relay, directTps, relayTps, ratio };
    } finally {
      await topology.stop();
    }
  } finally {
    await server.stop();
  }
}
