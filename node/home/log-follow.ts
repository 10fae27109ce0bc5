import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { InvalidInputError } from '../../core/errors.js';
import { isObject } from './json-file.js';

/** Pino's level names and numbers. */
export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A log level name. */
export type LogLevelName = keyof typeof LOG_LEVELS;

/** Longest piece of a log read at once while following, in bytes. */
const CHUNK = 1024 * 1024;

/** Which lines `node logs` keeps: at or after `since` (ms since the epoch), at or above `level`. */
export interface LogFilter {
  readonly since?: number;
  readonly level?: LogLevelName;
}

/** The minimum pino level for a level name; throws InvalidInputError naming the known ones. */
export function logLevel(name: string): number {
  const level = (LOG_LEVELS as Record<string, number>)[name.toLowerCase()];
  if (level === undefined) throw new InvalidInputError('cli', `unknown log level '${name}': use one of ${Object.keys(LOG_LEVELS).join(', ')}`);
  return level;
}

/**
 * A predicate for {@link LogFilter}: JSON lines with `time` and `level` are kept when they
 * pass both bounds; lines that are not JSON log lines (a crash's output) are kept only
 * without a filter.
 */
export function logLineFilter(filter: LogFilter): ((line: string) => boolean) | undefined {
  if (filter.since === undefined && filter.level === undefined) return undefined;
  const min = filter.level !== undefined ? logLevel(filter.level) : 0;
  const since = filter.since ?? Number.NEGATIVE_INFINITY;
  return (line) => {
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      return false;
    }
    if (!isObject(entry)) return false;
    const { time, level } = entry;
    return typeof time === 'number' && time >= since && (typeof level !== 'number' || level >= min);
  };
}

/**
 * Follows the log at `path` from its current end, calling `onLine` with each complete line
 * appended, polling every `intervalMs`, until `signal` aborts. A log replaced by a new file
 * (rotation) or truncated is read from its start. Resolves when `signal` aborts.
 */
export async function followLog(path: string, onLine: (line: string) => void, { signal, intervalMs = 250 }: { signal: AbortSignal; intervalMs?: number }): Promise<void> {
  let ino: number | undefined;
  let offset = 0;
  try {
    const st = statSync(path);
    ino = st.ino;
    offset = st.size;
  } catch {
    // not there yet: read it from its start once it is
  }
  let partial = '';
  while (!signal.aborted) {
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
      const st = fstatSync(fd);
      if (st.ino !== ino || st.size < offset) {
        ino = st.ino;
        offset = 0;
        partial = '';
      }
      while (st.size > offset && !signal.aborted) {
        const buf = Buffer.allocUnsafe(Math.min(CHUNK, st.size - offset));
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        const lines = (partial + buf.toString('utf8', 0, n)).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') onLine(line);
      }
    } catch {
      // missing for a moment (rotation): try again
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    await pause(intervalMs, signal);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
