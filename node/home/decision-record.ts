import { encodeDeterministic, sha256 } from '../../core/cbor.js';
import type { AuditValue } from '../../authority/audit-record.js';

/** Version of the node decision log's records, file headers and exports. */
export const DECISION_LOG_VERSION = 1;
/** `prevHash` of a node's first record: 64 zeros. */
export const DECISION_GENESIS_HASH = '0'.repeat(64);
/** `format` of the first line of every decision log file. */
export const DECISION_FILE_FORMAT = 'symbolon-node-decision-log';
/** `format` of the first line of a `node audit export`. */
export const NODE_AUDIT_EXPORT_FORMAT = 'symbolon-node-audit-export';

/** What a node decision record reports. */
export type DecisionRecordType = 'access.denied' | 'denials.aggregated' | 'policy.created' | 'policy.replaced' | 'policy.deleted';

/** Every record type, for validation. */
export const DECISION_RECORD_TYPES: readonly DecisionRecordType[] = ['access.denied', 'denials.aggregated', 'policy.created', 'policy.replaced', 'policy.deleted'];

/**
 * The hashed part of a node decision record: the same shape and hashing as the authority's
 * audit records (deterministic CBOR, SHA-256), chained by `prevHash`.
 */
export interface DecisionRecord {
  readonly version: number;
  /** Position in the node's log, from 1, without gaps (across files). */
  readonly seq: number;
  /** Milliseconds since the Unix epoch. */
  readonly time: number;
  readonly type: DecisionRecordType;
  /** Who: the denied subject's identifier (`unauthenticated`, or `*` for many), or `local:USER` for a policy change. */
  readonly actor: string;
  readonly fields: Readonly<Record<string, AuditValue>>;
  /** `hash` of the record before it, {@link DECISION_GENESIS_HASH} for seq 1. */
  readonly prevHash: string;
}

/** A record with its hash (lowercase hex SHA-256 of the deterministic CBOR of the hashed part). */
export interface DecisionEntry extends DecisionRecord {
  readonly hash: string;
}

/** First line of every log file: where the file continues the chain (the previous file's head). */
export interface DecisionFileHeader {
  readonly kind: 'header';
  readonly format: typeof DECISION_FILE_FORMAT;
  readonly version: number;
  readonly node: string;
  /** Number of the file, from 1. */
  readonly file: number;
  /** The seq and hash of the last record before this file (0 and genesis for the first file). */
  readonly prevSeq: number;
  readonly prevHash: string;
  readonly createdAt: number;
}

/** First line of a node audit export. */
export interface NodeAuditExportHeader {
  readonly kind: 'header';
  readonly format: typeof NODE_AUDIT_EXPORT_FORMAT;
  readonly version: number;
  readonly node: string;
  readonly exportedAt: number;
  /** The seq and hash the first exported record chains to (older files were rotated away). */
  readonly startSeq: number;
  readonly startHash: string;
}

/** The record's hashed part, whatever extra properties `record` carries. */
export function decisionHashedPart(record: DecisionRecord): DecisionRecord {
  const { version, seq, time, type, actor, fields, prevHash } = record;
  return { version, seq, time, type, actor, fields, prevHash };
}

/** Lowercase hex SHA-256 of the deterministic CBOR of the record's hashed part. */
export function decisionRecordHash(record: DecisionRecord): string {
  return Buffer.from(sha256(encodeDeterministic(decisionHashedPart(record)))).toString('hex');
}

/** The JSON line of a record. */
export function decisionRecordLine(entry: DecisionEntry): string {
  return JSON.stringify({ kind: 'record', ...decisionHashedPart(entry), hash: entry.hash });
}
