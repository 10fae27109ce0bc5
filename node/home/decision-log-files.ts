import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { IoError } from '../../core/errors.js';
import type { Home } from './home.js';
import { DECISION_LOG_VERSION, NODE_AUDIT_EXPORT_FORMAT, type DecisionEntry, type NodeAuditExportHeader } from './decision-record.js';

const FILE_RE = /^decisions-(\d{6,})\.jsonl$/;

/** The folder of a node's decision log: `<home>/nodes/<name>/decisions`. */
export function decisionLogDir(home: Home, node: string): string {
  return join(home.node(node).dir, 'decisions');
}

/** The path of log file number `n` in `dir`. */
export function decisionFilePath(dir: string, n: number): string {
  return join(dir, `decisions-${String(n).padStart(6, '0')}.jsonl`);
}

/** The numbers of the log files in `dir`, oldest first (none when the folder is missing). */
export function decisionFileNumbers(dir: string): number[] {
  if (!existsSync(dir)) return [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (cause) {
    throw new IoError('node', `cannot read decision log folder ${dir}`, { cause });
  }
  return names.map((n) => FILE_RE.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
}

/**
 * The complete lines of log file `n` (a last line without its newline, a write cut short
 * by a crash or still being written, is left out).
 */
export function decisionFileLines(dir: string, n: number): string[] {
  let text: string;
  try {
    text = readFileSync(decisionFilePath(dir, n), 'utf8');
  } catch (cause) {
    throw new IoError('node', `cannot read decision log file ${decisionFilePath(dir, n)}`, { cause });
  }
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** Every complete line of every log file in `dir`, oldest file first. */
export function* decisionLogLines(dir: string): Generator<string> {
  for (const n of decisionFileNumbers(dir)) yield* decisionFileLines(dir, n);
}

/**
 * A node audit export of the log in `dir`: a header naming where the oldest kept record
 * chains to, then every record in order (file headers are not repeated: the chain runs
 * across files). Lines are copied as stored, so an edited line stays edited.
 */
export function* nodeAuditExportLines(dir: string, node: string, exportedAt: number): Generator<string> {
  let headerDone = false;
  for (const line of decisionLogLines(dir)) {
    let kind: unknown;
    let value: Record<string, unknown> = {};
    try {
      value = JSON.parse(line) as Record<string, unknown>;
      kind = value.kind;
    } catch {
      kind = undefined;
    }
    if (kind === 'header') {
      if (!headerDone) {
        const header: NodeAuditExportHeader = {
          kind: 'header', format: NODE_AUDIT_EXPORT_FORMAT, version: DECISION_LOG_VERSION, node, exportedAt,
          startSeq: Number(value.prevSeq), startHash: String(value.prevHash),
        };
        yield JSON.stringify(header);
        headerDone = true;
      }
      continue;
    }
    if (!headerDone) {
      // A first file without its header: say so in the export; verification fails on it.
      yield JSON.stringify({ kind: 'header', format: NODE_AUDIT_EXPORT_FORMAT, version: DECISION_LOG_VERSION, node, exportedAt, startSeq: -1, startHash: '' });
      headerDone = true;
    }
    yield line;
  }
  if (!headerDone) {
    const empty: NodeAuditExportHeader = { kind: 'header', format: NODE_AUDIT_EXPORT_FORMAT, version: DECISION_LOG_VERSION, node, exportedAt, startSeq: 0, startHash: '0'.repeat(64) };
    yield JSON.stringify(empty);
  }
}

/** Parses a record line, or undefined when it is not one. */
export function parseDecisionLine(line: string): DecisionEntry | undefined {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    return value.kind === 'record' ? (value as unknown as DecisionEntry) : undefined;
  } catch {
    return undefined;
  }
}
