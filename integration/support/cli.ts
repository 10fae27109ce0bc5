import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The built CLI entry (`npm test` builds dist/ first). */
export const CLI_BIN = join(REPO_ROOT, 'bin', 'run.js');

/** What one CLI run produced. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws a clear error when dist/ has not been built. */
export function assertBuilt(): void {
  if (!existsSync(join(REPO_ROOT, 'dist', 'cli', 'commands'))) {
    throw new Error('dist/ is missing: run `npm run build` (npm test does) before the integration tests');
  }
}

/** Runs `node bin/run.js ...args` with SYMBOLON_HOME=`home`; never throws on a non-zero exit. */
export function runCli(home: string, args: readonly string[], { timeoutMs = 30_000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI_BIN, ...args], {
      cwd: REPO_ROOT,
      timeout: timeoutMs,
      env: { ...process.env, SYMBOLON_HOME: home, NODE_ENV: 'production', ...env },
      maxBuffer: 16 * 1024 * 1024,
    }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`symbolon ${args.join(' ')} did not finish: ${error.message}`));
        return;
      }
      resolve({ code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr });
    });
  });
}

/** Runs the CLI with `--json` and parses stdout. */
export async function runCliJson(home: string, args: readonly string[]): Promise<{ code: number; json: unknown; stderr: string }> {
  const r = await runCli(home, [...args, '--json']);
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`symbolon ${args.join(' ')} --json printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
  }
  return { code: r.code, json, stderr: r.stderr };
}

/** A fresh temporary SYMBOLON_HOME. */
export function tempHome(prefix = 'sym-it-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The pids recorded in a home's node folders. */
export function recordedPids(home: string): number[] {
  const nodes = join(home, 'nodes');
  if (!existsSync(nodes)) return [];
  const pids: number[] = [];
  for (const name of readdirSync(nodes)) {
    try {
      const pid = Number(readFileSync(join(nodes, name, 'node.pid'), 'utf8').trim());
      if (Number.isSafeInteger(pid) && pid > 0) pids.push(pid);
    } catch {
      // no pid file
    }
  }
  return pids;
}

/** True when the process exists and has not exited (a zombie counts as exited). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * Removes everything a test started in `home`: `node delete --all` through the CLI, then
 * SIGKILL to any pid still recorded or given in `extraPids`, then the folder.
 */
export async function cleanupHome(home: string, extraPids: readonly number[] = []): Promise<void> {
  const pids = [...recordedPids(home), ...extraPids];
  try {
    await runCli(home, ['node', 'delete', '--all', '--yes'], { timeoutMs: 20_000 });
  } catch {
    // fall through to the kill below
  }
  for (const pid of [...pids, ...recordedPids(home)]) {
    if (alive(pid)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  rmSync(home, { recursive: true, force: true });
}
