import {
  DECISION_FILE_FORMAT, DECISION_GENESIS_HASH, DECISION_LOG_VERSION, DECISION_RECORD_TYPES, decisionRecordHash, NODE_AUDIT_EXPORT_FORMAT,
  type DecisionRecord,
} from './decision-record.js';

/** A head the operator wrote down earlier (`node audit export` prints it) to check a later export against. */
export interface PinnedHead {
  readonly seq: number;
  readonly hash: string;
}

/** Result of {@link verifyDecisionLines}. */
export type DecisionLogVerification =
  | {
    readonly ok: true; readonly node: string;
    /** The seq and hash the first record chains to (0 and genesis when nothing was rotated away). */
    readonly startSeq: number; readonly startHash: string;
    readonly records: number; readonly head: PinnedHead;
    /** True when a pinned head was given and found in the log. */
    readonly pinned: boolean;
    readonly warnings: readonly string[];
  }
  | { readonly ok: false; readonly failedAt: number; readonly reason: string; readonly line: number };

const HEX64 = /^[0-9a-f]{64}$/;
type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Parses `SEQ:HASH` (as `node audit export` prints it). */
export function parsePinnedHead(text: string): PinnedHead | undefined {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(text.trim());
  return m === null ? undefined : { seq: Number(m[1]), hash: m[2] as string };
}

function recordProblem(r: Json): string | undefined {
  if (r.version !== DECISION_LOG_VERSION) return `unsupported record version ${String(r.version)}`;
  if (!isInt(r.seq) || !isInt(r.time)) return 'seq and time must be non-negative integers';
  if (!DECISION_RECORD_TYPES.includes(r.type as DecisionRecord['type'])) return `unknown record type ${JSON.stringify(r.type)}`;
  if (typeof r.actor !== 'string' || !isObject(r.fields)) return 'actor must be a string and fields a map';
  if (typeof r.prevHash !== 'string' || !HEX64.test(r.prevHash) || typeof r.hash !== 'string' || !HEX64.test(r.hash)) return 'prevHash and hash must be 64 lowercase hex digits';
  const known = new Set(['kind', 'version', 'seq', 'time', 'type', 'actor', 'fields', 'prevHash', 'hash']);
  const extra = Object.keys(r).find((k) => !known.has(k));
  return extra === undefined ? undefined : `unexpected property ${JSON.stringify(extra)}`;
}

/**
 * Verifies a node's decision log (a `node audit export`, or its log files one after the
 * other): every record's hash, every chain link, seq without gaps, and each file header
 * naming the head of the file before it. A node log carries no signature: this proves the
 * records are the unbroken continuation of the first one's anchor, not who wrote them.
 * With `pin` (a head recorded earlier, kept elsewhere), the log must contain that exact
 * record: everything up to it is then what existed when it was pinned.
 */
export function verifyDecisionLines(lines: Iterable<string>, options: { readonly pin?: PinnedHead } = {}): DecisionLogVerification {
  let lineNo = 0;
  let node: string | undefined;
  let startSeq = 0;
  let startHash = DECISION_GENESIS_HASH;
  let lastSeq = 0;
  let lastHash = DECISION_GENESIS_HASH;
  let pinned = false;
  const pin = options.pin;
  const fail = (failedAt: number, reason: string): DecisionLogVerification => ({ ok: false, failedAt, reason, line: lineNo });

  for (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    let value: unknown;
    try { value = JSON.parse(raw); } catch { return fail(lastSeq + 1, `line ${lineNo} is not valid JSON`); }
    if (!isObject(value)) return fail(lastSeq + 1, `line ${lineNo} is not a JSON object`);
    if (value.kind === 'header') {
      const isExport = value.format === NODE_AUDIT_EXPORT_FORMAT;
      if (!isExport && value.format !== DECISION_FILE_FORMAT) return fail(lastSeq + 1, `line ${lineNo} is not a node decision log header`);
      if (value.version !== DECISION_LOG_VERSION) return fail(lastSeq + 1, `unsupported version ${String(value.version)}`);
      const seq = isExport ? value.startSeq : value.prevSeq;
      const hash = isExport ? value.startHash : value.prevHash;
      if (!isInt(seq) || typeof hash !== 'string' || !HEX64.test(hash) || typeof value.node !== 'string') return fail(lastSeq + 1, `the header on line ${lineNo} is malformed`);
      if (node === undefined) {
        if (seq === 0 && hash !== DECISION_GENESIS_HASH) return fail(1, 'the log starts at record 1 but not from the genesis hash');
        node = value.node;
        startSeq = lastSeq = seq;
        startHash = lastHash = hash;
        continue;
      }
      if (isExport) return fail(lastSeq + 1, `line ${lineNo}: an export header in the middle of the log`);
      if (value.node !== node) return fail(lastSeq + 1, `line ${lineNo}: a file of node ${value.node} inside the log of node ${node}`);
      if (seq !== lastSeq || hash !== lastHash) return fail(lastSeq + 1, `the log file starting on line ${lineNo} does not continue from record ${lastSeq} (a file was removed, replaced or edited)`);
      continue;
    }
    if (node === undefined) return fail(0, 'the log does not start with a node decision log header');
    if (value.kind !== 'record') return fail(lastSeq + 1, `line ${lineNo} is neither a record nor a header`);
    const expected = lastSeq + 1;
    const problem = recordProblem(value);
    if (problem !== undefined) return fail(isInt(value.seq) ? value.seq : expected, `record is malformed: ${problem}`);
    const record = value as unknown as DecisionRecord & { hash: string };
    if (record.seq > expected) return fail(expected, `record ${expected} is missing (the next record has seq ${record.seq})`);
    if (record.seq < expected) return fail(expected, `record ${record.seq} appears where record ${expected} should be (reordered or duplicated)`);
    let hash: string;
    try { hash = decisionRecordHash(record); } catch { return fail(record.seq, `record ${record.seq} cannot be encoded`); }
    if (hash !== record.hash) return fail(record.seq, `record ${record.seq} does not match its hash (a field was changed)`);
    if (record.prevHash !== lastHash) return fail(record.seq, `record ${record.seq} does not chain to record ${record.seq - 1} (a record before it was changed or replaced)`);
    lastSeq = record.seq;
    lastHash = record.hash;
    if (pin !== undefined && pin.seq === record.seq) {
      if (pin.hash !== record.hash) return fail(record.seq, `record ${record.seq} is not the pinned head (the log was rewritten up to it)`);
      pinned = true;
    }
  }
  if (node === undefined) return fail(0, 'the log is empty');
  const warnings: string[] = [];
  if (pin !== undefined && !pinned) {
    if (pin.seq === startSeq && pin.seq > 0) {
      if (pin.hash !== startHash) return fail(pin.seq, `the log's oldest kept file does not continue from the pinned head ${pin.seq}`);
      pinned = true;
    } else if (pin.seq > lastSeq) {
      return fail(lastSeq + 1, `the log ends at record ${lastSeq}, before the pinned head ${pin.seq} (records were removed)`);
    } else {
      warnings.push(`the pinned head ${pin.seq} is older than the oldest kept record (${startSeq + 1}): it was rotated away and cannot be checked`);
    }
  }
  if (startSeq > 0) warnings.push(`records 1 to ${startSeq} were rotated away; the log is verified from the anchor its oldest file names (record ${startSeq})`);
  return { ok: true, node, startSeq, startHash, records: lastSeq - startSeq, head: { seq: lastSeq, hash: lastHash }, pinned, warnings };
}
