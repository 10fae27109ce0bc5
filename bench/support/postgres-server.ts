/**
 * A throw-away PostgreSQL server for the pgbench figure: started on a free 127.0.0.1
 * port in a fresh temp cluster (see integration/support/postgres.ts), with the matching
 * `pgbench` binary. Besides `stop()`, a process `exit` hook shuts the server down and
 * deletes its cluster directory, so an interrupted or timed-out bench leaves nothing
 * running.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findPostgresBin, startTestPostgres } from '../../integration/support/postgres.js';
import { UnsupportedError } from '../../core/errors.js';

/** A running benchmark PostgreSQL server. */
export interface BenchPostgres {
  /** `127.0.0.1`. */
  readonly host: string;
  readonly port: number;
  /** The path of the `pgbench` binary matching the server. */
  readonly pgbench: string;
  /** Stops the server and deletes its cluster directory; safe to call twice. */
  stop(): Promise<void>;
}

/** Finds `pgbench`: beside the server binaries first, then on PATH; undefined when absent. */
function findPgbench(serverBin: string): string | undefined {
  const dirs = [serverBin, ...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== '')];
  return dirs.map((d) => join(d, 'pgbench')).find((p) => existsSync(p));
}

/**
 * Whether the PostgreSQL server binaries and pgbench are installed; the reason when not.
 */
export function postgresAvailability(): { readonly available: true; readonly bin: string; readonly pgbench: string } | { readonly available: false; readonly reason: string } {
  let bin: string;
  try {
    bin = findPostgresBin();
  } catch {
    return { available: false, reason: 'postgres server binaries (initdb, pg_ctl, postgres) not found' };
  }
  const pgbench = findPgbench(bin);
  return pgbench ? { available: true, bin, pgbench } : { available: false, reason: 'pgbench not found' };
}

/** Stops the postmaster of the cluster in `dir` at once (SIGQUIT) and deletes `dir`; synchronous, for the exit hook. */
function killCluster(dir: string): void {
  try {
    const pid = Number(readFileSync(join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // no pid file or no such process: the server is not running
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the server. Throws {@link UnsupportedError} when the binaries are not installed
 * (callers report the figure as skipped), or the server's own one-line error.
 */
export async function startBenchPostgres(options: { signal?: AbortSignal } = {}): Promise<BenchPostgres> {
  const found = postgresAvailability();
  if (!found.available) throw new UnsupportedError('portal', `skipped: pgbench/postgres not installed (${found.reason})`);
  options.signal?.throwIfAborted();
  const server = await startTestPostgres();
  const onExit = (): void => killCluster(server.dir);
  process.once('exit', onExit);
  const port = Number(new URL(server.url).port);
  return {
    host: '127.0.0.1',
    port,
    pgbench: found.pgbench,
    async stop(): Promise<void> {
      process.removeListener('exit', onExit);
      await server.stop();
    },
  };
}
