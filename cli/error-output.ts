import { SymbolonError } from '../core/errors.js';
import type { ErrorKind, ErrorOrigin } from '../core/errors.js';

/** Process exit codes by error kind. 0 is success; 1 is any other failure. */
export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  invalid: 2,
  'not-found': 3,
  unauthorized: 4,
  expired: 4,
  io: 5,
  timeout: 5,
  'already-exists': 6,
  unsupported: 7,
  aborted: 130,
  internal: 1,
};

/** How an error is reported: the JSON body, the exit code and optional detail lines. */
export interface ErrorReport {
  readonly error: { readonly origin: ErrorOrigin; readonly kind: ErrorKind; readonly message: string };
  readonly exitCode: number;
  /** Extra lines shown after the error line (for example a node's last log lines). */
  readonly details: readonly string[];
  /** True for failures nobody meant to throw (a bug): the text suggests SYMBOLON_DEBUG. */
  readonly unexpected: boolean;
}

interface OclifError { oclif?: { exit?: number }; code?: string }

/** The first line of a message that says something (skips oclif's header and help hint). */
function firstLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trim())
    .filter((l) => l !== '' && !/^The following errors? occurred:?$/.test(l) && !/^See more help with/.test(l));
  return lines[0] ?? message.trim();
}

/** Operating-system error codes that mean the file system or a device refused: I/O errors. */
const IO_CODES: ReadonlySet<string> = new Set([
  'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'ENOTEMPTY', 'EBUSY', 'ELOOP', 'ENAMETOOLONG', 'EXDEV',
]);

/** A Node.js system error from a file-system call (it has an errno `code` and a `syscall`). */
function isSystemError(err: unknown): err is Error & { code: string; syscall: string } {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && typeof (err as { syscall?: unknown }).syscall === 'string'
    && IO_CODES.has(String((err as { code?: unknown }).code));
}

/**
 * Classifies any thrown value: SymbolonErrors keep their origin and kind; oclif's parse
 * errors (unknown or missing flags and arguments) become `invalid`; a file-system error
 * that escaped unwrapped (permission denied, read-only or full disk ...) is an `io` error
 * (exit 5); anything else is an unexpected `internal` error.
 */
export function reportError(err: unknown): ErrorReport {
  if (err instanceof SymbolonError) {
    const details = (err as { logTail?: unknown }).logTail;
    return {
      error: err.toJSON().error,
      exitCode: EXIT_CODES[err.kind] ?? 1,
      details: Array.isArray(details) ? details.map(String) : [],
      unexpected: false,
    };
  }
  if (err instanceof Error && (err as OclifError).oclif !== undefined) {
    return {
      error: { origin: 'cli', kind: 'invalid', message: `${firstLine(err.message)} (see --help)` },
      exitCode: EXIT_CODES.invalid,
      details: [],
      unexpected: false,
    };
  }
  if (isSystemError(err)) {
    return { error: { origin: 'cli', kind: 'io', message: firstLine(err.message) }, exitCode: EXIT_CODES.io, details: [], unexpected: false };
  }
  const message = err instanceof Error ? firstLine(err.message) : String(err);
  return { error: { origin: 'cli', kind: 'internal', message }, exitCode: 1, details: [], unexpected: true };
}

/** The human form of a report: `Error: ...`, detail lines indented, a debug hint when unexpected. */
export function formatErrorReport(report: ErrorReport, debug: boolean, stack?: string): string {
  const lines = [`Error: ${report.error.message}`];
  if (report.details.length > 0) lines.push('Last log lines:', ...report.details.map((l) => `  ${l}`));
  if (report.unexpected) {
    if (debug && stack) lines.push(stack);
    else lines.push('(unexpected error: run again with SYMBOLON_DEBUG=1 for details)');
  }
  return `${lines.join('\n')}\n`;
}
