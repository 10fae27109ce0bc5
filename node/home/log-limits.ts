import { InvalidInputError } from '../../core/errors.js';

/** How large a node's log may grow: the current file plus rotated ones, each at most `maxSize` bytes. */
export interface LogLimits {
  /** Bytes per log file; the current file is rotated before a line would take it past this. */
  readonly maxSize: number;
  /** Files kept in all, the current one included (rotated files are `node.log.1` ... `node.log.<maxFiles-1>`). */
  readonly maxFiles: number;
}

/** Default limits: 10 MiB per file, 5 files (at most 50 MiB of log per node). */
export const DEFAULT_LOG_LIMITS: LogLimits = Object.freeze({ maxSize: 10 * 1024 * 1024, maxFiles: 5 });

/** Smallest accepted `maxSize` (a few log lines). */
export const MIN_LOG_SIZE = 4 * 1024;
/** Largest accepted `maxSize`. */
export const MAX_LOG_SIZE = 1024 ** 4;
/** Largest accepted `maxFiles`. */
export const MAX_LOG_FILES = 1000;

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/**
 * Parses a log size: a number of bytes or a number with a unit `KB`, `MB`, `GB` (powers of
 * 1024; `KiB`, `K` ... too), e.g. `10MB`. Throws InvalidInputError naming `what`.
 */
export function parseLogSize(text: string | number, what = 'log-max-size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(String(text));
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.floor(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_LOG_SIZE || bytes > MAX_LOG_SIZE) {
    throw new InvalidInputError('cli', `invalid ${what} '${text}': use a size from 4KB to 1024GB, e.g. 10MB`);
  }
  return bytes;
}

/** Checks a file count (1 to 1000); throws InvalidInputError naming `what`. */
export function parseLogFiles(value: string | number, what = 'log-max-files'): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LOG_FILES) throw new InvalidInputError('cli', `invalid ${what} '${value}': use a whole number from 1 to ${MAX_LOG_FILES}`);
  return n;
}

/** Reads limits as stored in a node configuration; anything missing or malformed takes the default. */
export function readLogLimits(value: unknown): LogLimits {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const ok = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= min && x <= max;
  return {
    maxSize: ok(v.maxSize, MIN_LOG_SIZE, MAX_LOG_SIZE) ? v.maxSize : DEFAULT_LOG_LIMITS.maxSize,
    maxFiles: ok(v.maxFiles, 1, MAX_LOG_FILES) ? v.maxFiles : DEFAULT_LOG_LIMITS.maxFiles,
  };
}

/** A size for humans: `10MB`, `512KB`, `1500B`. */
export function formatLogSize(bytes: number): string {
  for (const [unit, size] of [['GB', 1024 ** 3], ['MB', 1024 ** 2], ['KB', 1024]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}
