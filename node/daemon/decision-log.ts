import { closeSync, fstatSync, mkdirSync, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { AuditValue } from '../../authority/audit-record.js';
import { RefusalLimiter, type RefusalAggregate } from '../../authority/refusal-limiter.js';
import type { Logger } from '../../core/logger.js';
import type { Denial, DenialJournal } from '../../policy/denial-log.js';
import type { PolicyScope } from '../../policy/policy.js';
import type { PolicyChange } from '../../policy/policy-store-file.js';
import { decisionFileLines, decisionFileNumbers, decisionFilePath, parseDecisionLine } from '../home/decision-log-files.js';
import { verifyDecisionLines } from '../home/decision-log-verify.js';
import { denialOf } from '../home/decision-denial.js';
import {
  DECISION_FILE_FORMAT, DECISION_GENESIS_HASH, DECISION_LOG_VERSION, decisionRecordHash, decisionRecordLine,
  type DecisionEntry, type DecisionFileHeader, type DecisionRecord, type DecisionRecordType,
} from '../home/decision-record.js';

/** Options of {@link NodeDecisionLog.open}. */
export interface NodeDecisionLogOptions {
  /** The log's folder (`decisionLogDir(home, node)`). */
  readonly dir: string;
  readonly node: string;
  readonly logger: Logger;
  /** A file is rotated once it would grow past this (default 1 MiB). */
  readonly maxFileBytes?: number;
  /** Files kept; older ones are deleted (default 16, so the log holds at most about 16 MiB). */
  readonly maxFiles?: number;
  /** Denial aggregation window (default 60 s). */
  readonly denialWindowMs?: number;
  /** Denials recorded one by one per window, over all subjects (default 100); more are counted. */
  readonly maxDenialRecordsPerWindow?: number;
  /** Denials {@link NodeDecisionLog.recent} keeps in memory (default 1000). */
  readonly recentCapacity?: number;
  readonly clock?: () => number;
}

/** The actor and fields of a local user's change through the control socket. */
export function localUser(): { actor: string; fields: Record<string, AuditValue> } {
  let user = 'unknown';
  let uid = -1;
  try {
    const info = userInfo();
    user = info.username;
    uid = info.uid;
  } catch {
    // no passwd entry: the uid alone
    uid = process.getuid?.() ?? -1;
  }
  return { actor: `local:${user}`, fields: { user, uid: Math.max(uid, 0), via: 'control socket' } };
}

const scopeFields = (scope: PolicyScope): Record<string, string> => (scope.kind === 'resource' ? { kind: 'resource', name: scope.name } : { kind: 'resource-type', type: scope.type });
/**
 * A node's decisions on the record: every denial (repeats aggregated per window, as the
 * authority's refusal records are) and every policy change, appended to a hash-chained
 * JSONL log in the node folder that survives restarts. Files rotate by size, each starting
 * with a header naming the previous file's head, and only the newest `maxFiles` are kept,
 * so the log stays bounded and every kept file still verifies against the one before it.
 * Appends are synchronous (a few per window under a flood) and never throw: an I/O failure
 * is logged and the record dropped.
 */
export class NodeDecisionLog implements DenialJournal {
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  private readonly windowMs: number;
  private readonly clock: () => number;
  private readonly limiter: RefusalLimiter;
  private readonly ring: Denial[] = [];
  private readonly capacity: number;
  private fd: number | undefined;
  private file = 0;
  private bytes = 0;
  private recordsInFile = 0;
  private seq = 0;
  private hash = DECISION_GENESIS_HASH;
  private flushTimer: NodeJS.Timeout | undefined;
  private failing = false;

  private constructor(private readonly options: NodeDecisionLogOptions) {
    this.maxFileBytes = Math.max(4096, options.maxFileBytes ?? 1024 * 1024);
    this.maxFiles = Math.max(2, options.maxFiles ?? 16);
    this.windowMs = Math.max(1, options.denialWindowMs ?? 60_000);
    this.clock = options.clock ?? Date.now;
    this.capacity = Math.max(1, options.recentCapacity ?? 1000);
    this.limiter = new RefusalLimiter({ windowMs: this.windowMs, maxRecordsPerWindow: options.maxDenialRecordsPerWindow ?? 100, clock: this.clock });
  }

  /**
   * Opens the log in `dir`, continuing the chain of its newest file when that file
   * verifies (a line cut short by a crash is cut off); otherwise it says so in the node
   * log and starts a new file from the newest record it can read, so the damage stays
   * visible to `audit verify`. Throws IoError when the folder cannot be written.
   */
  static open(options: NodeDecisionLogOptions): NodeDecisionLog {
    const log = new NodeDecisionLog(options);
    log.restore();
    return log;
  }

  /** The newest record's seq and hash. */
  head(): { seq: number; hash: string } {
    return { seq: this.seq, hash: this.hash };
  }

  /** Records a denial, or counts it into the window's aggregate (see RefusalLimiter). */
  record(denial: Denial): void {
    const actor = denial.subject ?? 'unauthenticated';
    const key = JSON.stringify([denial.resource.type, denial.resource.name, denial.resource.node, denial.action, denial.reason,
      denial.policy === undefined ? null : scopeFields(denial.policy.scope), denial.policy?.expression ?? null, denial.mode ?? null]);
    if (!this.limiter.admit('access.denied', actor, key)) {
      this.scheduleFlush();
      return;
    }
    const time = Date.parse(denial.at);
    this.append('access.denied', actor, this.denialFields(key), Number.isFinite(time) ? time : this.clock());
  }

  /** Records a policy change made by `who` (default: the local user of the control socket). */
  recordPolicyChange(change: PolicyChange, who: { actor: string; fields: Readonly<Record<string, AuditValue>> } = change.by ?? localUser()): void {
    const type: DecisionRecordType = change.after === undefined ? 'policy.deleted' : change.before === undefined ? 'policy.created' : 'policy.replaced';
    // Modes are written when a side is in audit mode (records of enforce-only changes keep their shape).
    const modes = change.beforeMode === 'audit' || change.afterMode === 'audit';
    const fields: Record<string, AuditValue> = {
      ...who.fields, scope: scopeFields(change.scope),
      ...(change.before !== undefined ? { before: change.before } : {}),
      ...(change.after !== undefined ? { after: change.after } : {}),
      ...(modes && change.beforeMode !== undefined ? { beforeMode: change.beforeMode } : {}),
      ...(modes && change.afterMode !== undefined ? { afterMode: change.afterMode } : {}),
    };
    this.append(type, who.actor, fields, this.clock());
  }

  /** The most recent recorded denials (aggregates included), newest first. */
  recent(limit: number): Denial[] {
    const n = Math.min(Math.max(0, Math.floor(limit)), this.ring.length);
    return this.ring.slice(this.ring.length - n).reverse();
  }

  /** Writes the aggregates of ended windows (all of them with `all`). */
  flush(all = false): void {
    for (const aggregate of this.limiter.drain(all)) this.writeAggregate(aggregate);
  }

  /** Writes every pending aggregate and closes the file. */
  close(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.flush(true);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private denialFields(key: string): Record<string, AuditValue> {
    const [type, name, node, action, reason, scope, expression, mode] = JSON.parse(key) as [string, string, string, string, string, Record<string, string> | null, string | null, string | null | undefined];
    return {
      resource: { type, name, node }, action, reason, ...(scope !== null ? { policy: scope } : {}), ...(expression !== null ? { expression } : {}),
      ...(typeof mode === 'string' ? { mode } : {}),
    };
  }

  private writeAggregate(a: RefusalAggregate): void {
    this.append('denials.aggregated', a.actor, {
      ...this.denialFields(a.reason), count: a.count, identities: a.identities, firstAt: a.firstAt, lastAt: a.lastAt,
    }, this.clock());
  }

  private scheduleFlush(): void {
    if (this.flushTimer !== undefined) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      this.flush();
      if (this.limiter.pending) this.scheduleFlush();
    }, this.windowMs);
    this.flushTimer.unref();
  }

  private append(type: DecisionRecordType, actor: string, fields: Record<string, AuditValue>, time: number): void {
    const record: DecisionRecord = { version: DECISION_LOG_VERSION, seq: this.seq + 1, time, type, actor, fields, prevHash: this.hash };
    const entry: DecisionEntry = { ...record, hash: decisionRecordHash(record) };
    const line = `${decisionRecordLine(entry)}\n`;
    try {
      if (this.fd === undefined) throw new Error('the decision log is closed');
      const size = Buffer.byteLength(line);
      if (this.recordsInFile > 0 && this.bytes + size > this.maxFileBytes) this.rotate();
      writeSync(this.fd, line);
      this.bytes += size;
      this.recordsInFile++;
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.options.logger.error({ err: (error as Error).message, dir: this.options.dir }, 'cannot write the decision log: decisions are not recorded');
      this.failing = true;
      return;
    }
    this.seq = entry.seq;
    this.hash = entry.hash;
    this.remember(entry);
  }

  private remember(entry: DecisionEntry): void {
    const denial = denialOf(entry);
    if (denial === undefined) return;
    this.ring.push(denial);
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  /** Starts file `file + 1` with a header naming the current head, and deletes files beyond `maxFiles`. */
  private rotate(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.startFile(this.file + 1);
    for (const n of decisionFileNumbers(this.options.dir)) {
      if (n <= this.file - this.maxFiles) rmSync(decisionFilePath(this.options.dir, n), { force: true });
    }
  }

  private startFile(n: number): void {
    const header: DecisionFileHeader = {
      kind: 'header', format: DECISION_FILE_FORMAT, version: DECISION_LOG_VERSION, node: this.options.node, file: n,
      prevSeq: this.seq, prevHash: this.hash, createdAt: this.clock(),
    };
    const fd = openSync(decisionFilePath(this.options.dir, n), 'wx', 0o600);
    const line = `${JSON.stringify(header)}\n`;
    writeSync(fd, line);
    this.fd = fd;
    this.file = n;
    this.bytes = Buffer.byteLength(line);
    this.recordsInFile = 0;
  }

  private restore(): void {
    const dir = this.options.dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const numbers = decisionFileNumbers(dir);
    const last = numbers.at(-1);
    if (last === undefined) {
      this.startFile(1);
      return;
    }
    // Older files feed the in-memory list of recent denials only.
    for (const n of numbers.slice(-3, -1)) for (const line of decisionFileLines(dir, n)) this.rememberLine(line);
    const lines = decisionFileLines(dir, last);
    for (const line of lines) this.rememberLine(line);
    const result = verifyDecisionLines(lines);
    const path = decisionFilePath(dir, last);
    if (result.ok) {
      this.seq = result.head.seq;
      this.hash = result.head.hash;
      const complete = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
      const fd = openSync(path, 'r+');
      if (fstatSync(fd).size > complete) {
        this.options.logger.warn({ file: path }, 'decision log: cutting off a record left incomplete by a crash');
        truncateSync(path, complete);
      }
      closeSync(fd);
      this.fd = openSync(path, 'a', 0o600);
      this.file = last;
      this.bytes = complete;
      this.recordsInFile = result.records;
      return;
    }
    // Continue from the newest record the file claims; verification keeps failing where it broke.
    this.options.logger.error({ file: path, record: result.failedAt, reason: result.reason }, 'decision log does not verify: starting a new file after it');
    for (const line of lines) {
      const entry = parseDecisionLine(line);
      if (entry !== undefined && Number.isSafeInteger(entry.seq) && typeof entry.hash === 'string') {
        this.seq = entry.seq;
        this.hash = entry.hash;
      }
    }
    this.startFile(last + 1);
  }

  private rememberLine(line: string): void {
    const entry = parseDecisionLine(line);
    if (entry !== undefined) this.remember(entry);
  }
}
