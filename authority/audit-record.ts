import { digestOf, encodeDeterministic, sha256 } from '../core/cbor.js';
import type { Signature } from '../core/vault/keys.js';
import { leafHash } from './merkle-tree.js';

/** Version of the audit record and checkpoint formats. */
export const AUDIT_FORMAT_VERSION = 1;
/**
 * Version of the checkpoints an authority signs now: 2 adds `root`, the Merkle tree head
 * over every record up to `seq` (version 1 checkpoints, without it, still verify).
 */
export const CHECKPOINT_VERSION = 2;
/** `prevHash` of the first record: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an audit record reports. */
export type AuditRecordType =
  | 'ticket.created'
  | 'ticket.redeemed'
  | 'ticket.refused'
  | 'member.added'
  | 'member.removed'
  | 'member.suspended'
  | 'member.resumed'
  | 'credential.issued'
  | 'credential.refused'
  | 'credential.undelivered'
  | 'access.refused'
  | 'refusals.aggregated'
  | 'signer.attested'
  | 'signer.withdrawn';

/** Every record type, for validation. */
export const AUDIT_RECORD_TYPES: readonly AuditRecordType[] = [
  'ticket.created', 'ticket.redeemed', 'ticket.refused', 'member.added', 'member.removed', 'member.suspended', 'member.resumed',
  'credential.issued', 'credential.refused', 'credential.undelivered', 'access.refused', 'refusals.aggregated', 'signer.attested', 'signer.withdrawn',
];

/** A field value: JSON and CBOR agree on these, so an export re-encodes to the same bytes. */
export type AuditValue = string | number | boolean | readonly string[] | Readonly<Record<string, string>>;

/** The hashed part of an audit record. */
export interface AuditRecord {
  readonly version: number;
  /** Position in the log, from 1, without gaps. */
  readonly seq: number;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  readonly type: AuditRecordType;
  /** Identifier of whoever caused the change (an identity identifier, or the authority's). */
  readonly actor: string;
  /** Type-specific details (never secrets: ticket codes appear only as hashes). */
  readonly fields: Readonly<Record<string, AuditValue>>;
  /** `hash` of the record before it (lowercase hex), {@link GENESIS_HASH} for seq 1. */
  readonly prevHash: string;
}

/** A stored record with its hash. */
export interface AuditEntry extends AuditRecord {
  /** Lowercase hex SHA-256 of the deterministic CBOR of the {@link AuditRecord} part. */
  readonly hash: string;
}

/** The signed statement "the log up to `seq` has head `head`". */
export interface AuditCheckpoint {
  readonly version: number;
  /** Identifier of the authority that signs. */
  readonly authority: string;
  readonly seq: number;
  /** Hash of record `seq` (lowercase hex). */
  readonly head: string;
  /**
   * From version 2: the Merkle tree head (RFC 9162, leaves {@link auditLeafHash}) over records
   * 1 to `seq`, lowercase hex.
   */
  readonly root?: string;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
}

/** A checkpoint with the authority's signature over {@link checkpointDigest}. */
export interface SignedCheckpoint extends AuditCheckpoint {
  readonly signature: Signature;
}

/**
 * A checkpoint as stored: with the right edge of its Merkle tree (the perfect subtree
 * heads, hex, largest first), so the next checkpoint hashes only the records after it.
 * Not signed: it is derived from the records.
 */
export interface StoredCheckpoint extends SignedCheckpoint {
  readonly frontier?: readonly string[];
}

/**
 * The head of a perfect Merkle subtree of the log, as the store caches it: the tree over
 * the 2^`level` leaves from leaf `index * 2^level` (records `index * 2^level + 1` to
 * `(index + 1) * 2^level`). Not signed: derived from the records, and checked against a
 * signed tree head wherever it is used (see audit-subtrees.ts).
 */
export interface AuditSubtree {
  readonly level: number;
  readonly index: number;
  /** Lowercase hex. */
  readonly hash: string;
}

/** The position and hash of the newest record (seq 0 and {@link GENESIS_HASH} when empty). */
export interface AuditHead {
  readonly seq: number;
  readonly hash: string;
}

/** The record's hashed part, whatever extra properties `record` carries. */
export function hashedPart(record: AuditRecord): AuditRecord {
  const { version, seq, time, type, actor, fields, prevHash } = record;
  return { version, seq, time, type, actor, fields, prevHash };
}

/** Lowercase hex SHA-256 of the deterministic CBOR of the record's hashed part. */
export function auditRecordHash(record: AuditRecord): string {
  return Buffer.from(sha256(encodeDeterministic(hashedPart(record)))).toString('hex');
}

/**
 * The 32-byte digest the authority signs for a checkpoint: version 1 covers version,
 * authority, seq, head and time; version 2 covers `root` too.
 */
export function checkpointDigest(checkpoint: AuditCheckpoint): Uint8Array {
  const { version, authority, seq, head, root, time } = checkpoint;
  if (version === 1) return digestOf({ version, authority, seq, head, time });
  return digestOf({ version, authority, seq, head, root: root ?? '', time });
}

/** The Merkle leaf of a record: SHA-256(0x00 || the 32 bytes of its hash). */
export function auditLeafHash(recordHash: string): Uint8Array {
  return leafHash(Buffer.from(recordHash, 'hex'));
}
