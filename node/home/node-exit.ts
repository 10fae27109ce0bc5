import type { Home } from './home.js';
import { isObject } from './json-file.js';
import { readLogLines, readLogTail } from './node-log.js';
import { readNodeState, runningPid } from './node-state.js';

/** How a node that is not running ended, as its files tell. */
export interface NodeExit {
  /** `stopped`: asked to stop and stopped cleanly; `failed`: could not start; `crashed`: ended without stopping. */
  readonly kind: 'stopped' | 'failed' | 'crashed';
  /** When (ISO 8601), when the log says. */
  readonly at: string | null;
  /** One line for humans, e.g. `stopped by SIGTERM`, `failed to start: address in use`. */
  readonly reason: string;
}

/** Lines of the log's end read to find the last exit. */
const LINES = 500;

interface Entry { readonly time?: number; readonly msg?: string; readonly err?: unknown; readonly signal?: unknown; readonly level?: number }

function parse(line: string): Entry | undefined {
  try {
    const value = JSON.parse(line) as unknown;
    return isObject(value) ? value as Entry : undefined;
  } catch {
    return undefined;
  }
}

const iso = (time: number | undefined): string | null => (typeof time === 'number' ? new Date(time).toISOString() : null);
const text = (err: unknown): string => (typeof err === 'string' ? err.split('\n')[0]! : 'unknown error');

/**
 * How node `name` last ended, for a node that is not running: its state file outlived the
 * process (crashed: killed or died; the last error line of its log, if any), or the log's
 * last lifecycle line (`node stopped`, `node failed to start`). Null while it runs or when
 * nothing is known (a node never started).
 */
export function lastExit(home: Home, name: string): NodeExit | null {
  if (runningPid(home, name) !== undefined) return null;
  const lines = readLogLines(home.node(name).log, LINES);
  const crashed = readNodeState(home, name) !== undefined;
  let lastError: Entry | undefined;
  let signal: string | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const entry = parse(lines[i]!);
    if (entry === undefined) continue;
    if (entry.msg === 'node started') break;
    if (lastError === undefined && typeof entry.level === 'number' && entry.level >= 50) lastError = entry;
    if (crashed) continue;
    if (entry.msg === 'node failed to start') return { kind: 'failed', at: iso(entry.time), reason: `failed to start: ${text(entry.err)}` };
    if (entry.msg === 'stopping' && typeof entry.signal === 'string') signal = entry.signal;
    if (entry.msg === 'node stopped') {
      for (let j = i - 1; j >= 0 && signal === undefined; j--) {
        const before = parse(lines[j]!);
        if (before?.msg === 'node started') break;
        if (before?.msg === 'stopping' && typeof before.signal === 'string') signal = before.signal;
      }
      return { kind: 'stopped', at: iso(entry.time), reason: signal !== undefined ? `stopped by ${signal}` : 'stopped' };
    }
  }
  if (crashed) {
    const output = lastError === undefined ? lastOutputLine(home.node(name).out) : undefined;
    if (output !== undefined) return { kind: 'crashed', at: null, reason: `crashed: ${output}` };
    return {
      kind: 'crashed', at: iso(lastError?.time),
      reason: lastError !== undefined ? `crashed: ${text(lastError.err ?? lastError.msg)}` : 'crashed: the process ended without stopping (killed, or out of memory)',
    };
  }
  return null;
}

/** The error line the process last wrote outside its log (`node.out`: a crash's output), if any. */
function lastOutputLine(path: string): string | undefined {
  const lines = readLogTail(path, 50);
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (/^(\w*Error\b|FATAL)|out of memory/i.test(line)) return line.slice(0, 500);
  }
  return undefined;
}
