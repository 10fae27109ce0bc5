/**
 * CPU time of benchmark processes, read from /proc (Linux): the sum of every thread's
 * on-CPU time (`/proc/PID/task/TID/schedstat`, nanoseconds), so GC and libuv threads
 * count too. Elsewhere, or for a process that is gone, it reads as NaN and the figures
 * that need it are left out.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** On-CPU seconds of process `pid` so far, all threads; NaN when unavailable. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // The thread ended between the listing and the read.
      }
    }
    return ns / 1e9;
  } catch {
    return Number.NaN;
  }
}

/** A labelled process whose CPU time a measurement records. */
export interface CpuProcess {
  readonly label: string;
  readonly pid: number | undefined;
}

/** CPU seconds per process (by label) spent between {@link startCpuSample} and `stop()`. */
export interface CpuSample {
  stop(): Record<string, number>;
}

/** Starts recording the CPU time of `processes`. */
export function startCpuSample(processes: readonly CpuProcess[]): CpuSample {
  const before = processes.map((p) => cpuSeconds(p.pid));
  return {
    stop: () => {
      const out: Record<string, number> = {};
      processes.forEach((p, i) => {
        out[p.label] = (out[p.label] ?? 0) + (cpuSeconds(p.pid) - before[i]!);
      });
      return out;
    },
  };
}

/** Idle fraction of the whole machine between two {@link systemIdle} readings. */
export function systemIdle(): { idle: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { idle: (fields[3] ?? 0) + (fields[4] ?? 0), total };
  } catch {
    return { idle: Number.NaN, total: Number.NaN };
  }
}
