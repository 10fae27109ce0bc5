import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { CLI_BIN, REPO_ROOT } from './cli.js';

/** Peak resident set size of a live process in bytes (`VmHWM`), or 0 when it is gone. */
export function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** What {@link runCliMeasured} saw. */
export interface MeasuredRun {
  readonly code: number;
  readonly stderr: string;
  /** Highest `VmHWM` sampled from the CLI process while it ran (bytes). */
  readonly peakRss: number;
  readonly elapsedMs: number;
}

/**
 * Runs the CLI with stdout into `stdoutFile` (so its size does not matter) and samples
 * the process's peak RSS every 100 ms until it exits; `watch` pids are sampled too and
 * their highest peak is passed to `onSample`. Kills the CLI after `timeoutMs`.
 */
export async function runCliMeasured(home: string, args: readonly string[], stdoutFile: string, { timeoutMs = 120_000, watch = [], onSample }: { timeoutMs?: number; watch?: readonly number[]; onSample?: (pid: number, rss: number) => void } = {}): Promise<MeasuredRun> {
  const out = openSync(stdoutFile, 'w');
  const started = Date.now();
  try {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: REPO_ROOT, env: { ...process.env, SYMBOLON_HOME: home, NODE_ENV: 'production' }, stdio: ['ignore', out, 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    let peak = 0;
    const sample = (): void => {
      if (child.pid !== undefined) peak = Math.max(peak, peakRss(child.pid));
      for (const pid of watch) onSample?.(pid, peakRss(pid));
    };
    const timer = setInterval(sample, 100);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const code = await new Promise<number>((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1))));
    clearInterval(timer);
    clearTimeout(killer);
    return { code, stderr, peakRss: peak, elapsedMs: Date.now() - started };
  } finally {
    closeSync(out);
  }
}
