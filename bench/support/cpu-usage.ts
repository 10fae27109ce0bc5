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
  /**
   * Read the process's own totals (`/proc/PID/stat`, which keep the time of threads that
   * have ended; 10 ms resolution) instead of its live threads: for tools with a thread
   * per connection (stunnel), whose time would otherwise leave with the connection.
   */
  readonly endedThreads?: boolean;
}

/** User-space clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (user + system) from the text of `/proc/PID/stat`; NaN when it is not one. */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of stat (utime, stime), counted from the state field (3).
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? ticks / USER_HZ : Number.NaN;
}

/** On-CPU seconds of process `pid` so far, threads that ended included; NaN when unavailable. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds per process (by label) spent between {@link startCpuSample} and `stop()`. */
export interface CpuSample {
  stop(): Record<string, number>;
}

/** Starts recording the CPU time of `processes`. */
export function startCpuSample(processes: readonly CpuProcess[]): CpuSample {
  const read = (p: CpuProcess): number => (p.endedThreads ? processCpuSeconds(p.pid) : cpuSeconds(p.pid));
  const before = processes.map(read);
  return {
    stop: () => {
      const out: Record<string, number> = {};
      processes.forEach((p, i) => {
        out[p.label] = (out[p.label] ?? 0) + (read(p) - before[i]!);
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

/**
 * The parent pid in the text of `/proc/PID/stat` (after the command name, which may hold
 * spaces and parentheses); undefined when the text is not one.
 */
export function parentPidOf(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && ppid >= 0 ? ppid : undefined;
}

/**
 * The pids of every process below `pid` right now (children, grandchildren, ...), from
 * /proc; empty elsewhere. For tools that fork per connection, like sshd.
 */
export function descendantPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      const ppid = parentPidOf(readFileSync(`/proc/${e}/stat`, 'utf8'));
      if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}
