import { InvalidInputError, NotFoundError, SymbolonError } from '../core/errors.js';
import type { PublicKey, SigningKeyType } from '../core/vault/keys.js';
import { verifySignature } from '../core/vault/verify.js';
import { checkpointLine, type AuditExportCheckpointLine, type AuditExportRecordLine } from './audit-export.js';
import { auditLeafHash, auditRecordHash, checkpointDigest, hashedPart, type AuditRecord, type StoredCheckpoint } from './audit-record.js';
import { cachedRangeRoots } from './audit-subtrees.js';
import { checkpointWithRoot } from './audit-tree.js';
import type { AuthorityStore, StoreCallOptions } from './authority-store.js';
import { consistencyRanges, inclusionRanges, verifyConsistency, verifyInclusion, type LeafRange } from './merkle-tree.js';

/** `kind` of a proof file. */
export const AUDIT_PROOF_KIND = 'symbolon-audit-proof';
/** Version of the proof file format. */
export const AUDIT_PROOF_VERSION = 1;

/** "Record `record.seq` is in the log the checkpoint signs": an RFC 9162 inclusion proof. */
export interface AuditInclusionProof {
  readonly kind: typeof AUDIT_PROOF_KIND;
  readonly version: number;
  readonly type: 'inclusion';
  readonly authority: string;
  /** The record, as an export line shows it. */
  readonly record: AuditExportRecordLine;
  /** `record.seq - 1`. */
  readonly leafIndex: number;
  /** `checkpoint.seq`. */
  readonly treeSize: number;
  /** Sibling tree heads from the leaf up (lowercase hex). */
  readonly path: readonly string[];
  readonly checkpoint: AuditExportCheckpointLine;
}

/** "The log of checkpoint `first` is a prefix of the log of checkpoint `second`": an RFC 9162 consistency proof. */
export interface AuditConsistencyProof {
  readonly kind: typeof AUDIT_PROOF_KIND;
  readonly version: number;
  readonly type: 'consistency';
  readonly authority: string;
  readonly first: AuditExportCheckpointLine;
  readonly second: AuditExportCheckpointLine;
  readonly path: readonly string[];
}

/** Either proof. */
export type AuditProof = AuditInclusionProof | AuditConsistencyProof;

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const lineObject = (c: StoredCheckpoint): AuditExportCheckpointLine => JSON.parse(checkpointLine(c)) as AuditExportCheckpointLine;

/** The signed tree head and the records hashed from scratch disagree: a record or a checkpoint in the store was changed. */
export class AuditTreeMismatchError extends SymbolonError {
  override readonly name = 'AuditTreeMismatchError';
  constructor(treeSize: number) {
    super('authority', 'invalid', `the stored audit records 1 to ${treeSize} do not lead to the tree head the authority signed for them (a record or checkpoint in the database was changed); no proof is given`);
  }
}

/** Options of the proof builders. */
export interface AuditProofOptions extends StoreCallOptions {
  /** Told when a cached subtree head turned out wrong (the proof is then built from the records and the cache rewritten). */
  readonly onCacheMismatch?: (treeSize: number) => void;
}

/**
 * The proof path of `ranges` in the tree of `treeSize` records: from the cached subtree heads
 * (O(log n) reads), checked with `verifies` against the signed tree head. If it does not
 * verify, a cached head was wrong: the path is built again from the records, rewriting the
 * cache; if that does not verify either, the records themselves differ from what was signed.
 */
async function provenPath(store: AuthorityStore, ranges: readonly LeafRange[], treeSize: number, verifies: (path: Uint8Array[]) => boolean, options?: AuditProofOptions): Promise<Uint8Array[]> {
  const fast = await cachedRangeRoots(store, ranges, options);
  if (verifies(fast.roots)) return fast.roots;
  options?.onCacheMismatch?.(treeSize);
  const fresh = await cachedRangeRoots(store, ranges, { ...options, refresh: true });
  if (verifies(fresh.roots)) return fresh.roots;
  throw new AuditTreeMismatchError(treeSize);
}

/**
 * Builds the inclusion proof of record `seq` against `checkpoint` (which has a tree head),
 * from the cached subtree heads (O(log n) reads; see audit-subtrees.ts). The proof is
 * checked against the signed tree head before it is returned.
 */
export async function buildInclusionProof(store: AuthorityStore, seq: number, checkpoint: StoredCheckpoint, options?: AuditProofOptions): Promise<AuditInclusionProof> {
  if (!Number.isSafeInteger(seq) || seq < 1 || seq > checkpoint.seq) {
    throw new InvalidInputError('authority', `record ${seq} is not covered by the checkpoint at record ${checkpoint.seq}`);
  }
  const record = (await store.readAudit({ afterSeq: seq - 1, limit: 1 }, options))[0];
  if (record === undefined || record.seq !== seq) throw new NotFoundError('authority', `audit record ${seq} is missing`);
  if (checkpoint.root === undefined) throw new InvalidInputError('authority', `the checkpoint at record ${checkpoint.seq} predates Merkle tree heads (version ${checkpoint.version}); prove against a later checkpoint`);
  const root = fromHex(checkpoint.root);
  const leaf = auditLeafHash(record.hash);
  const path = await provenPath(store, inclusionRanges(seq - 1, checkpoint.seq), checkpoint.seq, (p) => verifyInclusion(seq - 1, checkpoint.seq, leaf, p, root), options);
  return {
    kind: AUDIT_PROOF_KIND, version: AUDIT_PROOF_VERSION, type: 'inclusion', authority: checkpoint.authority,
    record: { kind: 'record', ...hashedPart(record), hash: record.hash }, leafIndex: seq - 1, treeSize: checkpoint.seq,
    path: path.map(toHex), checkpoint: lineObject(checkpoint),
  };
}

/**
 * Builds the consistency proof between the checkpoints at `firstSeq` and `secondSeq` (both
 * with tree heads), as {@link buildInclusionProof} does: from the cache, checked against
 * both signed tree heads.
 */
export async function buildConsistencyProof(store: AuthorityStore, firstSeq: number, secondSeq: number, options?: AuditProofOptions): Promise<AuditConsistencyProof> {
  if (!Number.isSafeInteger(firstSeq) || !Number.isSafeInteger(secondSeq) || firstSeq < 1 || firstSeq > secondSeq) {
    throw new InvalidInputError('authority', `a consistency proof needs two checkpoints with 1 <= OLD <= NEW (got ${firstSeq} and ${secondSeq})`);
  }
  const checkpoints = await store.checkpoints(secondSeq, options);
  const first = checkpointWithRoot(checkpoints, firstSeq);
  const second = checkpointWithRoot(checkpoints, secondSeq);
  const [firstRoot, secondRoot] = [fromHex(first.root ?? ''), fromHex(second.root ?? '')];
  const path = await provenPath(store, consistencyRanges(firstSeq, secondSeq), secondSeq, (p) => verifyConsistency(firstSeq, secondSeq, firstRoot, secondRoot, p), options);
  return {
    kind: AUDIT_PROOF_KIND, version: AUDIT_PROOF_VERSION, type: 'consistency', authority: first.authority,
    first: lineObject(first), second: lineObject(second), path: path.map(toHex),
  };
}

/** Result of {@link verifyAuditProof}. */
export type AuditProofVerification =
  | { readonly ok: true; readonly type: 'inclusion'; readonly authority: string; readonly seq: number; readonly recordType: string; readonly treeSize: number; readonly root: string }
  | { readonly ok: true; readonly type: 'consistency'; readonly authority: string; readonly first: number; readonly second: number; readonly root: string }
  | { readonly ok: false; readonly reason: string };

type Json = Record<string, unknown>;
const HEX64 = /^[0-9a-f]{64}$/;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Checks a checkpoint object: shape, version 2 with a tree head, authority, signature. Returns a problem or undefined. */
function checkpointProblem(c: unknown, what: string, authority: string, keys: readonly PublicKey[]): string | undefined {
  if (!isObject(c) || !isInt(c.seq) || !isInt(c.time) || typeof c.head !== 'string' || typeof c.authority !== 'string' || !isObject(c.signature)
    || typeof c.signature.type !== 'string' || typeof c.signature.bytes !== 'string') return `the ${what} checkpoint is malformed`;
  if (c.version !== 2 || typeof c.root !== 'string' || !HEX64.test(c.root)) return `the ${what} checkpoint has no Merkle tree head (version ${String(c.version)})`;
  if (c.authority !== authority) return `the ${what} checkpoint names authority ${c.authority}, not ${authority}`;
  const digest = checkpointDigest({ version: c.version, authority: c.authority, seq: c.seq, head: c.head, root: c.root, time: c.time });
  const signature = { type: c.signature.type as SigningKeyType, bytes: new Uint8Array(Buffer.from(c.signature.bytes, 'base64url')) };
  if (!keys.some((key) => verifySignature(key, digest, signature))) return `the ${what} checkpoint (record ${c.seq}) is not signed by the authority`;
  return undefined;
}

function pathOf(value: unknown): Uint8Array[] | undefined {
  if (!Array.isArray(value) || value.length > 64 || !value.every((p) => typeof p === 'string' && HEX64.test(p))) return undefined;
  return (value as string[]).map(fromHex);
}

/**
 * Verifies a proof offline with only the authority's public keys: its checkpoint(s) must be
 * version 2, name `authority` (when given, else the proof's) and carry a valid signature;
 * an inclusion proof's record must match its hash and sit at `leafIndex + 1`, and the path
 * must lead from its leaf to the signed tree head; a consistency proof's path must lead
 * from the first signed tree head to the second. Never throws.
 */
export function verifyAuditProof(value: unknown, keys: readonly PublicKey[], options: { readonly authority?: string } = {}): AuditProofVerification {
  const fail = (reason: string): AuditProofVerification => ({ ok: false, reason });
  if (!isObject(value) || value.kind !== AUDIT_PROOF_KIND) return fail('not an audit proof');
  if (value.version !== AUDIT_PROOF_VERSION) return fail(`unsupported proof version ${String(value.version)}`);
  if (typeof value.authority !== 'string') return fail('the proof names no authority');
  if (options.authority !== undefined && value.authority !== options.authority) return fail(`the proof is about authority ${value.authority}, not ${options.authority}`);
  const authority = value.authority;
  const path = pathOf(value.path);
  if (path === undefined) return fail('the proof path must be a list of at most 64 hashes (64 lowercase hex digits each)');

  if (value.type === 'inclusion') {
    const problem = checkpointProblem(value.checkpoint, 'signed', authority, keys);
    if (problem !== undefined) return fail(problem);
    const checkpoint = value.checkpoint as Json & { seq: number; head: string; root: string };
    const record = value.record;
    if (!isObject(record) || !isInt(record.seq) || typeof record.hash !== 'string' || !HEX64.test(record.hash)) return fail('the proof\'s record is malformed');
    let hash: string;
    try {
      hash = auditRecordHash(record as unknown as AuditRecord);
    } catch {
      return fail('the proof\'s record is malformed');
    }
    if (hash !== record.hash) return fail(`record ${record.seq} does not match its hash (a field was changed)`);
    if (value.leafIndex !== record.seq - 1) return fail(`the proof is for position ${String(value.leafIndex)}, but the record has seq ${record.seq}`);
    if (value.treeSize !== checkpoint.seq) return fail(`the proof is for a tree of ${String(value.treeSize)} records, but the checkpoint covers ${checkpoint.seq}`);
    if (record.seq < 1 || record.seq > checkpoint.seq) return fail(`record ${record.seq} is not covered by the checkpoint at record ${checkpoint.seq}`);
    if (record.seq === checkpoint.seq && record.hash !== checkpoint.head) return fail(`record ${record.seq} is not the head the checkpoint names`);
    if (!verifyInclusion(record.seq - 1, checkpoint.seq, auditLeafHash(record.hash), path, fromHex(checkpoint.root))) {
      return fail(`record ${record.seq} is not in the log the checkpoint at record ${checkpoint.seq} signs (the path does not lead to its tree head)`);
    }
    return { ok: true, type: 'inclusion', authority, seq: record.seq, recordType: String(record.type), treeSize: checkpoint.seq, root: checkpoint.root };
  }

  if (value.type === 'consistency') {
    const problem = checkpointProblem(value.first, 'first', authority, keys) ?? checkpointProblem(value.second, 'second', authority, keys);
    if (problem !== undefined) return fail(problem);
    const first = value.first as Json & { seq: number; root: string };
    const second = value.second as Json & { seq: number; root: string };
    if (first.seq > second.seq) return fail(`the first checkpoint (record ${first.seq}) is newer than the second (record ${second.seq})`);
    if (!verifyConsistency(first.seq, second.seq, fromHex(first.root), fromHex(second.root), path)) {
      return fail(`the log of the checkpoint at record ${second.seq} does not extend the log of the checkpoint at record ${first.seq}`);
    }
    return { ok: true, type: 'consistency', authority, first: first.seq, second: second.seq, root: second.root };
  }
  return fail(`unknown proof type ${JSON.stringify(value.type)}`);
}
