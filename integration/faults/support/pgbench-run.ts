import { spawn } from 'node:child_process';

/** A pgbench process the suite started. */
export interface PgbenchProcess {
  /** Resolves when pgbench exits: its exit code, output and when it ended (Date.now()). */
  readonly done: Promise<{ code: number; output: string; endedAt: number }>;
  /** Resolves at its first progress line (`-P 1`): transactions are flowing. */
  readonly flowing: Promise<void>;
  kill(): void;
}

/** Transactions pgbench reports as failed or aborted, from its summary (0 when it printed none). */
export function pgbenchFailures(output: string): number {
  const failed = /number of failed transactions: (\d+)/.exec(output);
  return failed ? Number(failed[1]) : 0;
}

/**
 * Runs `pgbench -n -P 1 -c CLIENTS -T SECONDS` (TPC-B-like: updates, inserts and selects
 * in each transaction) against 127.0.0.1:`port`, database `db`, as `postgres`.
 */
export function startPgbench(port: number, db: string, { clients = 2, seconds = 10 } = {}): PgbenchProcess {
  const child = spawn('pgbench', ['-n', '-P', '1', '-c', String(clients), '-T', String(seconds), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', db], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PGCONNECT_TIMEOUT: '10', LC_ALL: 'C' },
  });
  let output = '';
  let onFlowing: () => void = () => undefined;
  const flowing = new Promise<void>((resolve) => { onFlowing = resolve; });
  const collect = (d: string): void => {
    output += d;
    if (/^progress: /m.test(output)) onFlowing();
  };
  child.stdout.setEncoding('utf8').on('data', collect);
  child.stderr.setEncoding('utf8').on('data', collect);
  const done = new Promise<{ code: number; output: string; endedAt: number }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), output, endedAt: Date.now() }));
    child.once('error', (error) => resolve({ code: 127, output: `${output}\n${error.message}`, endedAt: Date.now() }));
  });
  return { done, flowing, kill: () => { child.kill('SIGKILL'); } };
}

/** Runs `pgbench -i -s 1` on 127.0.0.1:`port`/`db` directly; throws with its output on failure. */
export async function initPgbench(port: number, db: string): Promise<void> {
  const child = spawn('pgbench', ['-i', '-s', '1', '-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', db], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => { output += d; });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { output += d; });
  const code = await new Promise<number>((resolve) => child.once('close', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`pgbench -i failed (${code}): ${output.trim()}`);
}
