import type { PublicKey, SigningKeyType } from '../core/vault/keys.js';
import { verifySignature } from '../core/vault/verify.js';
import { AUDIT_EXPORT_FORMAT } from './audit-export.js';
import { AUDIT_FORMAT_VERSION, AUDIT_RECORD_TYPES, auditLeafHash, auditRecordHash, CHECKPOINT_VERSION, checkpointDigest, GENESIS_HASH, type AuditRecord } from './audit-record.js';
import { MerkleFrontier } from './merkle-tree.js';

/** Result of {@link verifyAuditExport} and {@link AuditExportVerifier.finish}. */
export type AuditVerification =
  | {
    readonly ok: true; readonly authority: string; readonly records: number; readonly checkpoints: number; readonly head: string;
    /** The first record verified (above 1 when the first export is incremental). */
    readonly firstSeq: number;
    /** The last record verified. */
    readonly lastSeq: number;
    /** Exports verified as one sequence. */
    readonly pieces: number;
    /** What the caller accepted on purpose but must say loudly (an export without a checkpoint). */
    readonly warnings: readonly string[];
  }
  | {
    readonly ok: false; readonly failedAt: number; readonly reason: string; readonly line: number;
    /** The export (from 1) of a sequence the failure is in. */
    readonly piece: number;
  };

/** A failed verification. */
type AuditFailure = Extract<AuditVerification, { ok: false }>;

const HEX64 = /^[0-9a-f]{64}$/;
type Json = Record<string, unknown>;

const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isStringMap = (x: unknown): boolean => isObject(x) && Object.values(x).every((v) => typeof v === 'string');

function isFieldValue(v: unknown): boolean {
  if (typeof v === 'string' || typeof v === 'boolean' || isInt(v)) return true;
  if (Array.isArray(v)) return v.every((e) => typeof e === 'string');
  return isStringMap(v);
}

function recordProblem(r: Json): string | undefined {
  if (r.version !== AUDIT_FORMAT_VERSION) return `unsupported record version ${String(r.version)}`;
  if (!isInt(r.seq) || !isInt(r.time)) return 'seq and time must be non-negative integers';
  if (!AUDIT_RECORD_TYPES.includes(r.type as AuditRecord['type'])) return `unknown record type ${JSON.stringify(r.type)}`;
  if (typeof r.actor !== 'string') return 'actor must be a string';
  if (!isObject(r.fields) || !Object.values(r.fields).every(isFieldValue)) return 'fields must be a map of strings, integers, booleans, string lists or string maps';
  if (typeof r.prevHash !== 'string' || !HEX64.test(r.prevHash) || typeof r.hash !== 'string' || !HEX64.test(r.hash)) return 'prevHash and hash must be 64 lowercase hex digits';
  const known = new Set(['kind', 'version', 'seq', 'time', 'type', 'actor', 'fields', 'prevHash', 'hash']);
  const extra = Object.keys(r).find((k) => !known.has(k));
  return extra === undefined ? undefined : `unexpected property ${JSON.stringify(extra)}`;
}

/** Options of {@link verifyAuditExport}. */
export interface AuditVerifyOptions {
  /** The authority the export must come from. */
  readonly authority?: string;
  /**
   * Accept an export without any signed checkpoint (its records are then only chained,
   * not authenticated): the result carries a warning instead of failing.
   */
  readonly allowNoCheckpoint?: boolean;
  /** The export must reach at least this record (guards against an old or cut export). */
  readonly minSeq?: number;
}

/**
 * Verifies an audit export offline with only the authority's public keys: recomputes
 * every record hash and chain link, checks that `seq` runs from 1 without gaps, that
 * every checkpoint follows the record it covers, names its hash and carries a valid
 * signature by one of `authorityPublicKeys`, and that the last record is covered by a
 * checkpoint. An export with no records fails, and so does one without any checkpoint
 * (unless `allowNoCheckpoint`) or one that ends before `minSeq`. On failure names the
 * first record (`failedAt`, its seq) that does not verify.
 */
export function verifyAuditExport(lines: Iterable<string>, authorityPublicKeys: readonly PublicKey[], options: AuditVerifyOptions = {}): AuditVerification {
  return verifyAuditExports([lines], authorityPublicKeys, options);
}

/**
 * Verifies a sequence of exports as one log (see {@link AuditExportVerifier}): the first may
 * start anywhere, each later one must be incremental and continue exactly where the one
 * before ends.
 */
export function verifyAuditExports(pieces: Iterable<Iterable<string>>, authorityPublicKeys: readonly PublicKey[], options: AuditVerifyOptions = {}): AuditVerification {
  const verifier = new AuditExportVerifier(authorityPublicKeys, options);
  for (const lines of pieces) {
    verifier.startPiece();
    for (const line of lines) if (verifier.push(line) !== undefined) return verifier.finish();
  }
  return verifier.finish();
}

/**
 * Verifies one export, or a sequence of exports a SIEM received piece by piece, line by
 * line (memory stays flat). An incremental export (`audit export --after-seq N`) starts
 * from the record hash and Merkle tree edge its header names: alone, a later signed tree
 * head authenticates that start; in a sequence, it must equal where the export before ends
 * (no gap, no overlap, the same chain and tree). The tree and chain carry across exports,
 * so every checkpoint's tree head is checked against all records before it, and records an
 * export left uncovered (a stream that was cut) are covered by a later export's checkpoint.
 * Call {@link startPiece} before each export's first line, {@link push} for each line (it
 * returns the failure once one occurred), then {@link finish}.
 */
export class AuditExportVerifier {
  private authority: string | undefined;
  private lastSeq = 0;
  private lastHash = GENESIS_HASH;
  private lastCheckpoint = 0;
  private checkpoints = 0;
  private firstSeq: number | undefined;
  private tree = new MerkleFrontier();
  private piece = 0;
  private lineNo = 0;
  private headerSeen = false;
  private recordsInPiece = 0;
  private incrementalStart = false;
  private failure: AuditFailure | undefined;

  constructor(private readonly keys: readonly PublicKey[], private readonly options: AuditVerifyOptions = {}) {}

  /** Begins the next export of the sequence. */
  startPiece(): void {
    if (this.failure !== undefined) return;
    if (this.piece > 0 && !this.headerSeen) this.fail(this.lastSeq + 1, `export ${this.piece} is empty`);
    this.piece++;
    this.lineNo = 0;
    this.headerSeen = false;
    this.recordsInPiece = 0;
  }

  /** Checks one line; returns the failure once verification failed. */
  push(raw: string): AuditFailure | undefined {
    if (this.failure !== undefined) return this.failure;
    if (this.piece === 0) this.startPiece();
    this.lineNo++;
    if (raw.trim() === '') return undefined;
    let value: unknown;
    try { value = JSON.parse(raw); } catch { return this.fail(this.lastSeq + 1, `line ${this.lineNo} is not valid JSON`); }
    if (!isObject(value)) return this.fail(this.lastSeq + 1, `line ${this.lineNo} is not a JSON object`);
    if (!this.headerSeen) return this.header(value);
    if (value.kind === 'record') return this.record(value);
    if (value.kind === 'checkpoint') return this.checkpoint(value);
    return this.fail(this.lastSeq + 1, `line ${this.lineNo} is neither a record nor a checkpoint`);
  }

  /** The result over every line pushed. */
  finish(): AuditVerification {
    if (this.failure !== undefined) return this.failure;
    const { authority, lastSeq, options } = this;
    if (authority === undefined || !this.headerSeen) return this.fail(0, this.piece > 1 ? `export ${this.piece} is empty` : 'the export is empty');
    const firstSeq = this.firstSeq ?? lastSeq + 1;
    const records = lastSeq - firstSeq + 1;
    if (records === 0 && !(this.incrementalStart && this.lastCheckpoint === lastSeq)) {
      return this.fail(lastSeq + 1, this.incrementalStart
        ? `the export has no records after record ${lastSeq} and no checkpoint at it`
        : 'the export has no records (an authority\'s log starts with its first admin, so this is not a complete export)');
    }
    if (options.minSeq !== undefined && lastSeq < options.minSeq) {
      return this.fail(lastSeq + 1, `the export ends at record ${lastSeq}, but at least record ${options.minSeq} is required (an old or cut export)`);
    }
    const warnings: string[] = [];
    if (this.checkpoints === 0) {
      if (!options.allowNoCheckpoint) return this.fail(firstSeq, 'the export has no signed checkpoint, so nothing in it is authenticated by the authority');
      warnings.push(`the export has no signed checkpoint: records ${firstSeq} to ${lastSeq} are only hash-chained, anyone could have written them`);
    } else if (this.lastCheckpoint !== lastSeq) {
      return this.fail(this.lastCheckpoint + 1, `records from ${Math.max(this.lastCheckpoint + 1, firstSeq)} on are not covered by a signed checkpoint (truncated or appended)`);
    }
    return { ok: true, authority, records: Math.max(0, records), checkpoints: this.checkpoints, head: this.lastHash, firstSeq, lastSeq, pieces: this.piece, warnings };
  }

  private fail(failedAt: number, reason: string): AuditFailure {
    this.failure ??= { ok: false, failedAt, reason: this.piece > 1 ? `export ${this.piece}: ${reason}` : reason, line: this.lineNo, piece: Math.max(1, this.piece) };
    return this.failure;
  }

  private header(value: Json): AuditFailure | undefined {
    const { options } = this;
    if (value.kind !== 'header' || value.format !== AUDIT_EXPORT_FORMAT || typeof value.authority !== 'string') return this.fail(0, 'the export does not start with an audit export header');
    if (value.version !== AUDIT_FORMAT_VERSION) return this.fail(0, `unsupported export version ${String(value.version)}`);
    if (options.authority !== undefined && value.authority !== options.authority) return this.fail(0, `the export is from authority ${value.authority}, not ${options.authority}`);
    if (this.authority !== undefined && value.authority !== this.authority) return this.fail(0, `the export is from authority ${value.authority}, but export ${this.piece - 1} from ${this.authority}`);
    const afterSeq = value.afterSeq ?? 0;
    if (!isInt(afterSeq)) return this.fail(0, 'the header\'s afterSeq must be a non-negative integer');
    let tree = new MerkleFrontier();
    let afterHash = GENESIS_HASH;
    if (afterSeq > 0) {
      const nodes = value.afterTree;
      if (typeof value.afterHash !== 'string' || !HEX64.test(value.afterHash) || !Array.isArray(nodes) || !nodes.every((n) => typeof n === 'string' && HEX64.test(n))) {
        return this.fail(afterSeq, 'the header of an incremental export needs afterHash and afterTree (64 lowercase hex digits each)');
      }
      try {
        tree = new MerkleFrontier(afterSeq, nodes.map((n) => new Uint8Array(Buffer.from(n as string, 'hex'))));
      } catch {
        return this.fail(afterSeq, `the header's afterTree is not the edge of a Merkle tree of ${afterSeq} records`);
      }
      afterHash = value.afterHash;
    }
    this.headerSeen = true;
    if (this.piece === 1) {
      this.authority = value.authority;
      this.lastSeq = afterSeq;
      this.lastHash = afterHash;
      this.tree = tree;
      this.incrementalStart = afterSeq > 0;
      return undefined;
    }
    // A later export of a sequence continues exactly where the one before ends.
    const previous = this.piece - 1;
    if (afterSeq > this.lastSeq) return this.fail(this.lastSeq + 1, `records ${this.lastSeq + 1} to ${afterSeq} are missing: export ${previous} ends at record ${this.lastSeq}, and this export starts after record ${afterSeq} (a gap)`);
    if (afterSeq < this.lastSeq) return this.fail(afterSeq + 1, `this export starts after record ${afterSeq}, but export ${previous} already ends at record ${this.lastSeq} (overlapping exports: export again with --after-seq ${this.lastSeq})`);
    if (afterHash !== this.lastHash) return this.fail(afterSeq, `this export continues a different chain: its record ${afterSeq} has hash ${afterHash}, export ${previous}'s has ${this.lastHash}`);
    if (Buffer.from(tree.root()).toString('hex') !== Buffer.from(this.tree.root()).toString('hex')) return this.fail(afterSeq, `this export continues a different Merkle tree than records 1 to ${afterSeq} of export ${previous}`);
    return undefined;
  }

  private record(value: Json): AuditFailure | undefined {
    const expected = this.lastSeq + 1;
    const problem = recordProblem(value);
    if (problem !== undefined) return this.fail(isInt(value.seq) ? value.seq : expected, `record is malformed: ${problem}`);
    const seq = value.seq as number;
    if (seq > expected) return this.fail(expected, `record ${expected} is missing (the next record has seq ${seq})`);
    if (seq < expected) return this.fail(expected, `record ${seq} appears where record ${expected} should be (reordered or duplicated)`);
    const record = value as unknown as AuditRecord & { hash: string };
    if (auditRecordHash(record) !== record.hash) return this.fail(seq, `record ${seq} does not match its hash (a field was changed)`);
    if (record.prevHash !== this.lastHash) return this.fail(seq, `record ${seq} does not chain to record ${seq - 1} (a record before it was changed or replaced)`);
    this.firstSeq ??= seq;
    this.lastSeq = seq;
    this.lastHash = record.hash;
    this.recordsInPiece++;
    this.tree.append(auditLeafHash(record.hash));
    return undefined;
  }

  private checkpoint(value: Json): AuditFailure | undefined {
    const { lastSeq, lastHash } = this;
    const sig = value.signature;
    const version = value.version;
    if ((version !== 1 && version !== CHECKPOINT_VERSION) || (version === CHECKPOINT_VERSION && (typeof value.root !== 'string' || !HEX64.test(value.root))) || !isInt(value.seq) || !isInt(value.time) || typeof value.head !== 'string' || typeof value.authority !== 'string'
      || !isObject(sig) || typeof sig.type !== 'string' || typeof sig.bytes !== 'string') {
      return this.fail(lastSeq, 'checkpoint is malformed');
    }
    const seq = value.seq;
    if (value.authority !== this.authority) return this.fail(seq, `checkpoint ${seq} names authority ${value.authority}, not ${this.authority}`);
    if (seq > lastSeq) return this.fail(lastSeq + 1, `records ${lastSeq + 1} to ${seq} are missing (checkpoint ${seq} follows record ${lastSeq})`);
    // The latest checkpoint may open an incremental export (or repeat at its start): it covers the record the export continues.
    const atStart = this.recordsInPiece === 0 && seq === lastSeq && seq >= this.lastCheckpoint;
    if (!atStart && (seq < lastSeq || seq <= this.lastCheckpoint)) return this.fail(seq, `checkpoint ${seq} is out of place (it follows record ${lastSeq})`);
    if (value.head !== lastHash) return this.fail(seq, `checkpoint ${seq} names a different head than record ${seq}`);
    const root = version === CHECKPOINT_VERSION ? value.root as string : undefined;
    if (root !== undefined && root !== Buffer.from(this.tree.root()).toString('hex')) return this.fail(seq, `checkpoint ${seq} names a different Merkle tree head than records 1 to ${seq}`);
    const digest = checkpointDigest({ version, authority: value.authority, seq, head: value.head, ...(root === undefined ? {} : { root }), time: value.time });
    const signature = { type: sig.type as SigningKeyType, bytes: new Uint8Array(Buffer.from(sig.bytes, 'base64url')) };
    if (!this.keys.some((key) => verifySignature(key, digest, signature))) return this.fail(seq, `checkpoint ${seq} is not signed by the authority`);
    if (seq > this.lastCheckpoint || this.checkpoints === 0) this.checkpoints++;
    this.lastCheckpoint = seq;
    return undefined;
  }
}
