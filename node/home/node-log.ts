import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isObject } from './json-file.js';

/** Bytes read from the end of a log to find its last lines. */
const TAIL_WINDOW = 256 * 1024;

/**
 * The last `lines` lines of the log at `path`, reading no further back than byte `from`.
 * An empty list when the log does not exist.
 */
export function readLogTail(path: string, lines: number, from = 0): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = fstatSync(fd).size;
    const start = Math.max(from, size - TAIL_WINDOW);
    const buf = Buffer.alloc(Math.max(0, size - start));
    readSync(fd, buf, 0, buf.length, start);
    const all = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    if (start > from && all.length > 0) all.shift();
    return lines > 0 ? all.slice(-lines) : [];
  } finally {
    closeSync(fd);
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
