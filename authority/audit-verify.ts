import type { PublicKey, SigningKeyType } from '../core/vault/keys.js';
import { verifySignature } from '../core/vault/verify.js';
import { AUDIT_EXPORT_FORMAT } from './audit-export.js';
import { AUDIT_FORMAT_VERSION, AUDIT_RECORD_TYPES, auditLeafHash, auditRecordHash, CHECKPOINT_VERSION, checkpointDigest, GENESIS_HASH, type AuditRecord } from './audit-record.js';
import { MerkleFrontier } from './merkle-tree.js';

/** Result of {@link verifyAuditExport}. */
export type AuditVerification =
  | {
    readonly ok: true; readonly authority: string; readonly records: number; readonly checkpoints: number; readonly head: string;
    /** What the caller accepted on purpose but must say loudly (an export without a checkpoint). */
    readonly warnings: readonly string[];
  }
  | { readonly ok: false; readonly failedAt: number; readonly reason: string; readonly line: number };

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
  let lineNo = 0;
  let authority: string | undefined;
  let lastSeq = 0;
  let lastHash = GENESIS_HASH;
  let lastCheckpoint = 0;
  let checkpoints = 0;
  // The Merkle tree over the records so far, for version 2 checkpoints' tree heads.
  const tree = new MerkleFrontier();
  const fail = (failedAt: number, reason: string): AuditVerification => ({ ok: false, failedAt, reason, line: lineNo });

  for (const raw of lines) {
    lineNo++;
    if (raw.trim() === '') continue;
    let value: unknown;
    try { value = JSON.parse(raw); } catch { return fail(lastSeq + 1, `line ${lineNo} is not valid JSON`); }
    if (!isObject(value)) return fail(lastSeq + 1, `line ${lineNo} is not a JSON object`);
    if (authority === undefined) {
      if (value.kind !== 'header' || value.format !== AUDIT_EXPORT_FORMAT || typeof value.authority !== 'string') return fail(0, 'the export does not start with an audit export header');
      if (value.version !== AUDIT_FORMAT_VERSION) return fail(0, `unsupported export version ${String(value.version)}`);
      if (options.authority !== undefined && value.authority !== options.authority) return fail(0, `the export is from authority ${value.authority}, not ${options.authority}`);
      authority = value.authority;
      continue;
    }
    if (value.kind === 'record') {
      const expected = lastSeq + 1;
      const problem = recordProblem(value);
      if (problem !== undefined) return fail(isInt(value.seq) ? value.seq : expected, `record is malformed: ${problem}`);
      const seq = value.seq as number;
      if (seq > expected) return fail(expected, `record ${expected} is missing (the next record has seq ${seq})`);
      if (seq < expected) return fail(expected, `record ${seq} appears where record ${expected} should be (reordered or duplicated)`);
      const record = value as unknown as AuditRecord & { hash: string };
      if (auditRecordHash(record) !== record.hash) return fail(seq, `record ${seq} does not match its hash (a field was changed)`);
      if (record.prevHash !== lastHash) return fail(seq, `record ${seq} does not chain to record ${seq - 1} (a record before it was changed or replaced)`);
      lastSeq = seq;
      lastHash = record.hash;
      tree.append(auditLeafHash(record.hash));
      continue;
    }
    if (value.kind === 'checkpoint') {
      const sig = value.signature;
      const version = value.version;
      if ((version !== 1 && version !== CHECKPOINT_VERSION) || (version === CHECKPOINT_VERSION && (typeof value.root !== 'string' || !HEX64.test(value.root))) || !isInt(value.seq) || !isInt(value.time) || typeof value.head !== 'string' || typeof value.authority !== 'string'
        || !isObject(sig) || typeof sig.type !== 'string' || typeof sig.bytes !== 'string') {
        return fail(lastSeq, 'checkpoint is malformed');
      }
      const seq = value.seq;
      if (value.authority !== authority) return fail(seq, `checkpoint ${seq} names authority ${value.authority}, not ${authority}`);
      if (seq > lastSeq) return fail(lastSeq + 1, `records ${lastSeq + 1} to ${seq} are missing (checkpoint ${seq} follows record ${lastSeq})`);
      if (seq < lastSeq || seq <= lastCheckpoint) return fail(seq, `checkpoint ${seq} is out of place (it follows record ${lastSeq})`);
      if (value.head !== lastHash) return fail(seq, `checkpoint ${seq} names a different head than record ${seq}`);
      const root = version === CHECKPOINT_VERSION ? value.root as string : undefined;
      if (root !== undefined && root !== Buffer.from(tree.root()).toString('hex')) return fail(seq, `checkpoint ${seq} names a different Merkle tree head than records 1 to ${seq}`);
      const digest = checkpointDigest({ version, authority: value.authority, seq, head: value.head, ...(root === undefined ? {} : { root }), time: value.time });
      const signature = { type: sig.type as SigningKeyType, bytes: new Uint8Array(Buffer.from(sig.bytes, 'base64url')) };
      if (!authorityPublicKeys.some((key) => verifySignature(key, digest, signature))) return fail(seq, `checkpoint ${seq} is not signed by the authority`);
      lastCheckpoint = seq;
      checkpoints++;
      continue;
    }
    return fail(lastSeq + 1, `line ${lineNo} is neither a record nor a checkpoint`);
  }
  if (authority === undefined) return fail(0, 'the export is empty');
  if (lastSeq === 0) return fail(1, 'the export has no records (an authority\'s log starts with its first admin, so this is not a complete export)');
  if (options.minSeq !== undefined && lastSeq < options.minSeq) {
    return fail(lastSeq + 1, `the export ends at record ${lastSeq}, but at least record ${options.minSeq} is required (an old or cut export)`);
  }
  const warnings: string[] = [];
  if (checkpoints === 0) {
    if (!options.allowNoCheckpoint) return fail(1, 'the export has no signed checkpoint, so nothing in it is authenticated by the authority');
    warnings.push(`the export has no signed checkpoint: records 1 to ${lastSeq} are only hash-chained, anyone could have written them`);
  } else if (lastCheckpoint !== lastSeq) {
    return fail(lastCheckpoint + 1, `records from ${lastCheckpoint + 1} on are not covered by a signed checkpoint (truncated or appended)`);
  }
  return { ok: true, authority, records: lastSeq, checkpoints, head: lastHash, warnings };
}
