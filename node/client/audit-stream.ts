import { setTimeout as sleep } from 'node:timers/promises';
import { SymbolonError } from '../../core/errors.js';
import { parseExportLine, type ParsedExportLine } from '../../authority/audit-export-format.js';
import type { AuditExport } from '../api/project-views.js';

/** The export did not continue with the record after the last one written: the stream stops rather than skip. */
export class AuditStreamOrderError extends SymbolonError {
  override readonly name = 'AuditStreamOrderError';
  constructor(lastSeq: number, seq: number) {
    super('authority', 'invalid', `the audit export jumped from record ${lastSeq} to ${seq}`);
  }
}

/** One `project.audit.export` call (a page), as the stream asks for it. */
export type AuditExportCall = (
  params: { readonly upToSeq?: number; readonly afterSeq?: number; readonly sign?: boolean; readonly header?: boolean },
  options: { readonly signal: AbortSignal; readonly timeoutMs: number },
) => Promise<AuditExport>;

/** Options of {@link streamAuditExport}. */
export interface AuditStreamOptions {
  /** Export only records after this one (default 0: the whole log). */
  readonly afterSeq?: number;
  /** A checkpoint at this seq was already written (a stream that continues a file). */
  readonly lastCheckpoint?: number;
  /** The header was already written (a stream that continues a file). */
  readonly headerWritten?: boolean;
  /** Keep following the log until `signal` aborts; otherwise export once and return. */
  readonly follow?: boolean;
  /** Following: how often to ask for new records (default 1 s). */
  readonly intervalMs?: number;
  /** Following: sign a checkpoint this often while records arrive (default 60 s). */
  readonly checkpointEveryMs?: number;
  /** Following: how long a request after the first may take before it is retried (default 30 s). */
  readonly pollTimeoutMs?: number;
  /** Following: longest wait between reconnection attempts (default 30 s). */
  readonly maxBackoffMs?: number;
  /** Receives each line to write, in order, without duplicates; returns once written. */
  readonly write: (line: string, parsed: ParsedExportLine) => Promise<void>;
  /** Following: told about each failed attempt and the wait before the next. */
  readonly onRetry?: (error: unknown, delayMs: number) => void;
  readonly signal?: AbortSignal;
}

/** Where a stream stopped. */
export interface AuditStreamEnd {
  /** The last record written (the `afterSeq` to continue from). */
  readonly lastSeq: number;
  /** The last checkpoint written (-1: none). */
  readonly lastCheckpoint: number;
  /** Following: whether the stream ended with a checkpoint on its last record. */
  readonly covered: boolean;
}

/**
 * Exports the authority's audit log after `afterSeq`, once (ending with a checkpoint signed
 * for the head), or following it: new records are asked for every `intervalMs` and written
 * as they arrive, a checkpoint is signed every `checkpointEveryMs` while records arrive, and
 * when `signal` aborts one last export signs a checkpoint on what was written (so the
 * output verifies). Every attempt continues after the last record written, so a lost
 * connection or a restarted project node neither skips nor repeats a record: failed
 * attempts are retried with a growing wait (0.5 s doubling to `maxBackoffMs`). A record
 * that does not follow the last one written is an error, never skipped.
 */
export async function streamAuditExport(call: AuditExportCall, options: AuditStreamOptions): Promise<AuditStreamEnd> {
  const signal = options.signal ?? new AbortController().signal;
  let lastSeq = options.afterSeq ?? 0;
  let lastCheckpoint = options.lastCheckpoint ?? -1;
  let headerWritten = options.headerWritten ?? false;

  const accept = async (raw: string): Promise<void> => {
    const parsed = parseExportLine(raw);
    if (parsed.kind === 'header') {
      if (headerWritten) return;
      headerWritten = true;
    } else if (parsed.kind === 'record') {
      if (parsed.seq <= lastSeq) return;
      if (parsed.seq !== lastSeq + 1) throw new AuditStreamOrderError(lastSeq, parsed.seq);
      lastSeq = parsed.seq;
    } else {
      if (parsed.seq <= lastCheckpoint || parsed.seq > lastSeq) return;
      lastCheckpoint = parsed.seq;
    }
    await options.write(raw, parsed);
  };

  /** One export from the last record written to the head (signed when `sign`). */
  const exportOnce = async (sign: boolean, callSignal: AbortSignal, pollTimeoutMs?: number): Promise<void> => {
    let params: Parameters<AuditExportCall>[0] = { afterSeq: lastSeq, sign, header: true };
    for (;;) {
      // The first page may build the Merkle tree of a large log; a poll of a following stream is small, and an
      // answer lost with a restarting project node must not hold the stream up for minutes.
      const timeoutMs = pollTimeoutMs ?? (params.upToSeq === undefined ? 660_000 : 120_000);
      const page = await call(params, { signal: callSignal, timeoutMs });
      for (const line of page.lines) await accept(line);
      if (page.next === undefined) return;
      params = { upToSeq: page.upToSeq, afterSeq: page.next };
    }
  };

  if (!options.follow) {
    await exportOnce(true, signal);
    return { lastSeq, lastCheckpoint, covered: lastCheckpoint === lastSeq };
  }

  const intervalMs = options.intervalMs ?? 1000;
  const checkpointEveryMs = options.checkpointEveryMs ?? 60_000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  const pollTimeoutMs = options.pollTimeoutMs ?? 30_000;
  let backoff = 500;
  let started = false;
  let lastSign = 0;
  while (!signal.aborted) {
    const sign = !started || (Date.now() - lastSign >= checkpointEveryMs && lastSeq > lastCheckpoint);
    try {
      await exportOnce(sign, signal, started ? pollTimeoutMs : undefined);
      started = true;
      if (sign) lastSign = Date.now();
      backoff = 500;
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
    } catch (error) {
      if (signal.aborted) break;
      if (error instanceof AuditStreamOrderError) throw error;
      options.onRetry?.(error, backoff);
      await sleep(backoff, undefined, { signal }).catch(() => undefined);
      backoff = Math.min(backoff * 2, maxBackoffMs);
    }
  }
  // Stopped: write what was committed until now and sign a checkpoint on it, so the output ends verifiable.
  // Retried for at most 15 s; if the node stays out of reach, the output ends with records a later export's checkpoint covers.
  const deadline = AbortSignal.timeout(15_000);
  let flushed = false;
  for (let wait = 100; !flushed && !deadline.aborted; wait = Math.min(wait * 2, maxBackoffMs)) {
    try {
      await exportOnce(true, deadline, pollTimeoutMs);
      flushed = true;
    } catch (error) {
      if (error instanceof AuditStreamOrderError) throw error;
      if (deadline.aborted) break;
      options.onRetry?.(error, wait);
      await sleep(wait, undefined, { signal: deadline }).catch(() => undefined);
    }
  }
  return { lastSeq, lastCheckpoint, covered: lastCheckpoint === lastSeq };
}
