import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InvalidInputError, IoError } from '../../core/errors.js';

/** Where an existing export file ends (see {@link exportFileEnd}). */
export interface ExportFileEnd {
  /** The last record in the file. */
  readonly lastSeq: number;
  /** The checkpoint on the last line (-1 when the last line is not one). */
  readonly lastCheckpoint: number;
}

/** Bytes read from the end of the file to find its last line. */
const TAIL = 256 * 1024;

/**
 * Where the export in `path` (JSONL, OCSF or syslog, as `audit export` writes them) ends,
 * read from its last line: undefined when the file does not exist or is empty. Throws
 * InvalidInputError when the file ends in a partial line or its last line is not an
 * export line, so a stream never continues a file it cannot place.
 */
export function exportFileEnd(path: string): ExportFileEnd | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IoError('cli', `cannot read '${path}': ${(cause as Error).message}`, { cause });
  }
  let tail: string;
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return undefined;
    const length = Math.min(size, TAIL);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    tail = buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
  if (!tail.endsWith('\n')) throw new InvalidInputError('cli', `'${path}' ends in a partial line (an interrupted write?): remove it before continuing the export`);
  const last = tail.trimEnd().split('\n').at(-1) ?? '';
  const place = (m: RegExpExecArray | null): number | undefined => (m === null ? undefined : Number(m[1]));
  if (last.startsWith('{"kind":"checkpoint"')) {
    const seq = place(/"seq":(\d+)/.exec(last));
    if (seq !== undefined) return { lastSeq: seq, lastCheckpoint: seq };
  }
  if (last.startsWith('{"kind":"header"')) return { lastSeq: place(/"afterSeq":(\d+)/.exec(last)) ?? 0, lastCheckpoint: -1 };
  // A JSONL record, an OCSF event (metadata.sequence) or a syslog line (seq="N" in audit@32473).
  const seq = place(/^\{"kind":"record","version":\d+,"seq":(\d+)/.exec(last)) ?? place(/"sequence":(\d+)/.exec(last)) ?? place(/^<\d+>1 \S+ \S+ symbolon - \S+ \[audit@\d+ seq="(\d+)"/.exec(last));
  if (seq === undefined) throw new InvalidInputError('cli', `the last line of '${path}' is not an audit export line: cannot tell where to continue`);
  return { lastSeq: seq, lastCheckpoint: -1 };
}
