import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isObject } from './json-file.js';

/** Bytes read from the end of a log to find its last lines. */
const TAIL_WINDOW = 256 * 1024;

/** The complete lines in the last `window` bytes of `path` after byte `from`, and whether they are all of them. */
function tailLines(path: string, from: number, window = TAIL_WINDOW): { lines: string[]; whole: boolean } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { lines: [], whole: true };
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - window);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    const all = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    if (start > from && all.length > 0) all.shift();
    return { lines: all, whole: start <= from };
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `lines` lines of the log at `path`, reading no further back than byte `from`.
 * An empty list when the log does not exist.
 */
export function readLogTail(path: string, lines: number, from = 0): string[] {
  return lines > 0 ? tailLines(path, from).lines.slice(-lines) : [];
}

/** The path of rotated log file `index` (1 = the newest rotated file) of the log at `path`. */
export function rotatedLogPath(path: string, index: number): string {
  return `${path}.${index}`;
}

/**
 * The files of the log at `path`, oldest first: the rotated files that exist
 * (`node.log.<n>`, highest n first), then `path` itself (listed even when absent).
 */
export function logFiles(path: string): string[] {
  const base = basename(path);
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    names = [];
  }
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? /^\d+$/.exec(n.slice(base.length + 1)) : null))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[0]))
    .filter((n) => Number.isSafeInteger(n) && n > 0)
    .sort((a, b) => b - a);
  return [...rotated.map((n) => join(dirname(path), `${base}.${n}`)), path];
}

/**
 * The last `lines` lines of the log at `path` across its rotated files (oldest first),
 * optionally only those for which `keep` is true. Reads the end of each file (at least
 * 256 KiB, 1 KiB per requested line, at most 64 MiB) and goes on to the previous file only
 * when it read a file whole, so the lines it returns are consecutive.
 */
export function readLogLines(path: string, lines: number, keep?: (line: string) => boolean): string[] {
  const out: string[][] = [];
  let count = 0;
  const files = logFiles(path);
  const window = Math.min(64 * 1024 * 1024, Math.max(TAIL_WINDOW, lines * 1024));
  for (let i = files.length - 1; i >= 0 && count < lines; i--) {
    const tail = tailLines(files[i]!, 0, window);
    const found = keep ? tail.lines.filter(keep) : tail.lines;
    const taken = found.slice(-(lines - count));
    out.unshift(taken);
    count += taken.length;
    if (!tail.whole) break;
  }
  return out.flat();
}

/** True when `line` is a JSON log line written by process `pid`. */
export function lineOfPid(line: string, pid: number): boolean {
  if (!line.includes(`"pid":${pid}`)) return false;
  try {
    const entry = JSON.parse(line) as unknown;
    return isObject(entry) && entry.pid === pid;
  } catch {
    return false;
  }
}

/** The message of the last error-level (pino level >= 50) log line, if any. */
export function startupFailureReason(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    let entry: unknown;
    try {
      entry = JSON.parse(lines[i]!);
    } catch {
      continue;
    }
    if (isObject(entry) && typeof entry.level === 'number' && entry.level >= 50) {
      if (typeof entry.err === 'string') return entry.err;
      if (typeof entry.msg === 'string') return entry.msg;
    }
  }
  return undefined;
}

/** One log line for humans: `time level message {fields}`; non-JSON lines unchanged. */
export function formatLogLine(line: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return line;
  }
  if (!isObject(entry)) return line;
  const { time, level, msg, pid: _pid, hostname: _host, name: _name, node: _node, ...rest } = entry;
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  const when = typeof time === 'number' ? new Date(time).toISOString() : '';
  const lvl = typeof level === 'number' ? (levels[level] ?? String(level)) : '';
  const fields = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${when} ${lvl.padEnd(5)} ${typeof msg === 'string' ? msg : ''}${fields}`.trim();
}
