import type { Signature } from '../core/vault/keys.js';
import { AUDIT_FORMAT_VERSION, hashedPart, type AuditEntry, type SignedCheckpoint } from './audit-record.js';
import type { AuthorityStore, StoreCallOptions } from './authority-store.js';

/** `format` of an export's header line. */
export const AUDIT_EXPORT_FORMAT = 'symbolon-audit-export';

/** First line of an export. */
export interface AuditExportHeader {
  readonly kind: 'header';
  readonly format: typeof AUDIT_EXPORT_FORMAT;
  readonly version: number;
  /** Identifier of the authority whose log this is. */
  readonly authority: string;
  readonly exportedAt: number;
  /**
   * An incremental export (`audit export --after-seq N`) holds only the records after
   * `afterSeq`; it continues the log whose record `afterSeq` has hash `afterHash` and whose
   * Merkle tree over records 1 to `afterSeq` has the right edge `afterTree` (perfect subtree
   * heads, hex, largest first). A later signed tree head authenticates both. Absent (or 0)
   * for an export from the first record.
   */
  readonly afterSeq?: number;
  readonly afterHash?: string;
  readonly afterTree?: readonly string[];
}

/** A record line: the record's fields and its hash. */
export type AuditExportRecordLine = { readonly kind: 'record' } & AuditEntry;

/** A checkpoint line; the signature bytes are base64url. */
export type AuditExportCheckpointLine = { readonly kind: 'checkpoint'; readonly signature: { type: Signature['type']; bytes: string } }
  & Omit<SignedCheckpoint, 'signature'>;

/** The JSON line of a record. */
export function recordLine(entry: AuditEntry): string {
  return JSON.stringify({ kind: 'record', ...hashedPart(entry), hash: entry.hash });
}

/** The JSON line of a checkpoint. */
export function checkpointLine(c: SignedCheckpoint): string {
  const { version, authority, seq, head, root, time } = c;
  return JSON.stringify({
    kind: 'checkpoint', version, authority, seq, head, ...(root === undefined ? {} : { root }), time,
    signature: { type: c.signature.type, bytes: Buffer.from(c.signature.bytes).toString('base64url') },
  });
}

/**
 * Yields an export as JSONL lines: a header, then every record up to `upToSeq` in order,
 * each checkpoint right after the record it covers. Records up to a checkpoint never
 * change, so reading them page by page is consistent.
 */
export async function* exportAuditLines(store: AuthorityStore, authority: string, upToSeq: number, exportedAt: number, options?: StoreCallOptions): AsyncGenerator<string> {
  const header: AuditExportHeader = { kind: 'header', format: AUDIT_EXPORT_FORMAT, version: AUDIT_FORMAT_VERSION, authority, exportedAt };
  yield JSON.stringify(header);
  const checkpoints = await store.checkpoints(upToSeq, options);
  let next = 0;
  let after = 0;
  while (after < upToSeq) {
    const page = await store.readAudit({ afterSeq: after, limit: Math.min(5000, upToSeq - after) }, options);
    if (page.length === 0) break;
    for (const entry of page) {
      yield recordLine(entry);
      while (next < checkpoints.length && (checkpoints[next] as SignedCheckpoint).seq === entry.seq) yield checkpointLine(checkpoints[next++] as SignedCheckpoint);
      after = entry.seq;
    }
  }
}
