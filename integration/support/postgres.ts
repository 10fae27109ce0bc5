import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './free-port.js';

/** A running throwaway PostgreSQL server. */
export interface TestPostgres {
  /** Connection URL for the `postgres` database as the `postgres` superuser (trust auth on 127.0.0.1). */
  readonly url: string;
  /** The temp directory holding the data directory, log and Unix socket; deleted by `stop()`. */
  readonly dir: string;
  /** Creates a fresh empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown: sessions are ended) and keeps its data, to {@link restart} it later. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port with the same data. */
  restart(): Promise<void>;
  /** The postmaster's pid and those of every process it started (backends, writers ...). */
  pids(): number[];
  /** Stops the server and deletes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The apt packages that provide the server binaries this helper needs. */
export const POSTGRES_APT_PACKAGES = 'postgresql (Debian: postgresql-15 provides /usr/lib/postgresql/15/bin)';

/** Finds the directory holding `initdb`, `pg_ctl` and `postgres`, or throws naming what to install. */
export function findPostgresBin(): string {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(dir);
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(join(base, v, 'bin'));
  }
  for (const dir of candidates) {
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)))) return dir;
  }
  throw new Error(`PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or in /usr/lib/postgresql/*/bin: install ${POSTGRES_APT_PACKAGES}`);
}

interface RunAs { uid: number; gid: number }

/** initdb refuses to run as root: find the unprivileged `postgres` user the Debian package creates. */
function unprivilegedUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0 || gid.status !== 0) {
    throw new Error('running as root and no "postgres" system user exists: install the postgresql package or run tests as a normal user');
  }
  return { uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function run(bin: string, args: string[], as: RunAs | undefined): void {
  const result = spawnSync(bin, args, { encoding: 'utf8', uid: as?.uid, gid: as?.gid, env: { ...process.env, LC_ALL: 'C' } });
  if (result.status !== 0) {
    throw new Error(`${bin} failed (exit ${result.status}): ${(result.stderr || result.stdout || String(result.error)).trim().split('\n').slice(-3).join(' | ')}`);
  }
}

/**
 * Starts a throwaway PostgreSQL server on a free loopback port, in a fresh temp data
 * directory (trust auth for 127.0.0.1 only, Unix socket inside the temp directory).
 * Throws with a clear message when the server binaries are not installed.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const as = unprivilegedUser();
  const root = mkdtempSync(join(tmpdir(), 'symbolon-pg-'));
  const data = join(root, 'data');
  if (as) {
    chmodSync(root, 0o700);
    chownSync(root, as.uid, as.gid);
  }
  let stopped = false;
  const cleanup = (): void => { rmSync(root, { recursive: true, force: true }); };
  try {
    run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--no-instructions'], as);
    writeFileSync(join(data, 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
    const port = await freePort();
    const options = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${root} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '30', 'start'], as);
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return {
      url,
      dir: root,
      async createDatabase(name: string): Promise<string> {
        if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name ${name}`);
        const pg = await import('pg');
        const client = new pg.default.Client({ connectionString: url });
        await client.connect();
        try { await client.query(`CREATE DATABASE ${name}`); } finally { await client.end(); }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      async halt(): Promise<void> {
        run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'], as);
      },
      async restart(): Promise<void> {
        run(join(bin, 'pg_ctl'), ['-D', data, '-o', options, '-l', join(root, 'server.log'), '-w', '-t', '30', 'start'], as);
      },
      pids(): number[] {
        let postmaster: number;
        try {
          postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        } catch {
          return [];
        }
        const pids = [postmaster];
        for (const entry of readdirSync('/proc')) {
          if (!/^\d+$/.test(entry)) continue;
          try {
            const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
            if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) pids.push(Number(entry));
          } catch { /* gone */ }
        }
        return pids;
      },
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        await new Promise<void>((resolve) => {
          const child = spawn(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], { uid: as?.uid, gid: as?.gid, stdio: 'ignore' });
          child.once('exit', () => resolve());
          child.once('error', () => resolve());
        });
        cleanup();
      },
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}
