import { sha256 } from '../core/cbor.js';
import { UnsupportedError } from '../core/errors.js';
import type { Attributes } from './attributes.js';
import {
  AUDIT_FORMAT_VERSION, auditRecordHash, GENESIS_HASH,
  type AuditEntry, type AuditHead, type AuditRecord, type AuditRecordType, type AuditSubtree, type AuditValue, type SignedCheckpoint, type StoredCheckpoint,
} from './audit-record.js';
import type {
  AuditQuery, AuthorityStore, AuthorityTransaction, CredentialIssuance, MemberRecord, Redemption, RevocationKind, RevocationRecord,
  Role, SignerRecord, StoreCallOptions, TicketRecord,
} from './authority-store.js';
import { grantScopeFromText, grantScopeToText, isEmptyScope, type GrantScope } from './grant-scope.js';
import { migrateSchema } from './schema-migrations.js';
import { SCHEMA, type SqlDriver, type SqlRow, type SqlSession } from './sql-driver.js';

/** Clock in milliseconds since the Unix epoch. */
export type Clock = () => number;

const num = (v: unknown): number => Number(v);
const attrs = (v: unknown): Attributes => JSON.parse(String(v)) as Attributes;
/** A non-empty scope as stored, else NULL. */
const scopeText = (scope: GrantScope | undefined): string | null => (scope === undefined || isEmptyScope(scope) ? null : grantScopeToText(scope));
/** The `grants` property of a row with a stored scope. */
const scopeOf = (v: unknown): { grants?: GrantScope } => (v == null ? {} : { grants: grantScopeFromText(v) });
/** The audit fields of a non-empty scope. */
const scopeFields = (scope: GrantScope | undefined): Record<string, AuditValue> => (
  scope === undefined || isEmptyScope(scope) ? {} : { mayGrant: [...scope.attributes], mayGrantRelays: [...scope.relays] });

function toTicket(r: SqlRow): TicketRecord {
  return {
    hash: String(r.hash), attributes: attrs(r.attributes), usageCount: num(r.usage_count), usesLeft: num(r.uses_left),
    expiresAt: num(r.expires_at), relays: JSON.parse(String(r.relays)) as string[], enroller: num(r.enroller) === 1,
    createdBy: String(r.created_by), createdAt: num(r.created_at), ...scopeOf(r.grant_scope),
  };
}

function toRevocation(r: SqlRow): RevocationRecord {
  return { identifier: String(r.identifier), kind: String(r.kind) as RevocationKind, revokedAt: num(r.revoked_at), until: num(r.until_at), actor: String(r.actor) };
}

function toSigner(r: SqlRow): SignerRecord {
  return {
    keyId: String(r.key_id), replica: String(r.replica), keyType: String(r.key_type) as SignerRecord['keyType'], publicKey: String(r.public_key),
    attestation: String(r.attestation), attestedAt: num(r.attested_at), expiresAt: num(r.expires_at),
    ...(r.withdrawn_at == null ? {} : { withdrawnAt: num(r.withdrawn_at), withdrawnBy: String(r.withdrawn_by) }),
  };
}

/** The audit fields of a signer (the attestation as its hash: the record stays small). */
function signerFields(signer: SignerRecord): Record<string, AuditValue> {
  return {
    signerKey: signer.keyId, replica: signer.replica, keyType: signer.keyType, publicKey: signer.publicKey,
    attestationHash: Buffer.from(sha256(Buffer.from(signer.attestation, 'hex'))).toString('hex'), attestedAt: signer.attestedAt, expiresAt: signer.expiresAt,
  };
}

function toMember(r: SqlRow): MemberRecord {
  const m: MemberRecord = {
    identifier: String(r.identifier), attributes: attrs(r.attributes), role: String(r.role) as Role,
    addedBy: String(r.added_by), addedAt: num(r.added_at),
  };
  return { ...m, ...(r.ticket_hash == null ? {} : { ticketHash: String(r.ticket_hash) }), ...scopeOf(r.grant_scope) };
}

function toEntry(r: SqlRow): AuditEntry {
  return {
    version: num(r.version), seq: num(r.seq), time: num(r.time), type: String(r.type) as AuditRecordType,
    actor: String(r.actor), fields: JSON.parse(String(r.fields)) as Record<string, AuditValue>,
    prevHash: String(r.prev_hash), hash: String(r.hash),
  };
}

/** Transaction operations over one SQL session; every change appends its audit record. */
class SqlAuthorityTransaction implements AuthorityTransaction {
  constructor(
    private readonly s: SqlSession,
    private readonly lock: { update: string; share: string },
    private readonly clock: Clock,
  ) {}

  async createTicket(t: TicketRecord): Promise<void> {
    await this.s.run(
      `INSERT INTO tickets (hash, attributes, usage_count, uses_left, expires_at, relays, enroller, created_by, created_at, grant_scope)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [t.hash, JSON.stringify(t.attributes), t.usageCount, t.usesLeft, t.expiresAt, JSON.stringify(t.relays), t.enroller ? 1 : 0, t.createdBy, t.createdAt, scopeText(t.grants)],
    );
    await this.append('ticket.created', t.createdBy, {
      ticketHash: t.hash, attributes: t.attributes, usageCount: t.usageCount, expiresAt: t.expiresAt,
      relays: t.relays, enroller: t.enroller, createdBy: t.createdBy, ...scopeFields(t.grants),
    });
  }

  async redeemTicket(hash: string, enrollee: string, now: number): Promise<Redemption> {
    const rows = await this.s.all(
      `UPDATE tickets SET uses_left = uses_left - 1 WHERE hash = $1 AND uses_left > 0 AND expires_at > $2 AND created_by <> $3 RETURNING *`,
      [hash, now, enrollee],
    );
    if (rows[0] !== undefined) {
      const ticket = toTicket(rows[0]);
      await this.append('ticket.redeemed', enrollee, { ticketHash: hash, subject: enrollee, usesLeft: ticket.usesLeft, createdBy: ticket.createdBy });
      return { ok: true, ticket };
    }
    const current = await this.getTicket(hash);
    const reason = current === undefined ? 'unknown' : current.createdBy === enrollee ? 'own-ticket' : current.usesLeft <= 0 ? 'used-up' : 'expired';
    return { ok: false, reason };
  }

  async recordRedemptionRetry(hash: string, enrollee: string, usesLeft: number): Promise<void> {
    await this.append('ticket.redeemed', enrollee, { ticketHash: hash, subject: enrollee, usesLeft, retry: true });
  }

  async getTicket(hash: string): Promise<TicketRecord | undefined> {
    const rows = await this.s.all(`SELECT * FROM tickets WHERE hash = $1`, [hash]);
    return rows[0] === undefined ? undefined : toTicket(rows[0]);
  }

  async getMember(identifier: string): Promise<MemberRecord | undefined> {
    const rows = await this.s.all(`SELECT * FROM members WHERE identifier = $1${this.lock.share}`, [identifier]);
    return rows[0] === undefined ? undefined : toMember(rows[0]);
  }

  async listMembers(): Promise<MemberRecord[]> {
    return (await this.s.all(`SELECT * FROM members ORDER BY identifier`)).map(toMember);
  }

  async putMember(m: MemberRecord, actor: string): Promise<void> {
    await this.s.run(
      `INSERT INTO members (identifier, attributes, role, added_by, added_at, ticket_hash, grant_scope) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (identifier) DO UPDATE SET attributes = $2, role = $3, added_by = $4, added_at = $5, ticket_hash = $6, grant_scope = $7`,
      [m.identifier, JSON.stringify(m.attributes), m.role, m.addedBy, m.addedAt, m.ticketHash ?? null, scopeText(m.grants)],
    );
    const fields: Record<string, AuditValue> = { subject: m.identifier, role: m.role, attributes: m.attributes, ...scopeFields(m.grants) };
    if (m.ticketHash !== undefined) fields.ticketHash = m.ticketHash;
    await this.append('member.added', actor, fields);
  }

  async removeMember(identifier: string, actor: string, extra: Record<string, AuditValue> = {}): Promise<MemberRecord | undefined> {
    const rows = await this.s.all(`DELETE FROM members WHERE identifier = $1 RETURNING *`, [identifier]);
    if (rows[0] === undefined) return undefined;
    const removed = toMember(rows[0]);
    await this.append('member.removed', actor, { ...extra, subject: identifier, role: removed.role });
    return removed;
  }

  async putRevocation(r: RevocationRecord): Promise<void> {
    await this.s.run(
      `INSERT INTO revocations (identifier, kind, revoked_at, until_at, actor) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (identifier) DO UPDATE SET kind = $2, revoked_at = $3, until_at = $4, actor = $5`,
      [r.identifier, r.kind, r.revokedAt, r.until, r.actor],
    );
  }

  async getRevocation(identifier: string): Promise<RevocationRecord | undefined> {
    const rows = await this.s.all(`SELECT * FROM revocations WHERE identifier = $1`, [identifier]);
    return rows[0] === undefined ? undefined : toRevocation(rows[0]);
  }

  async deleteRevocation(identifier: string): Promise<boolean> {
    return (await this.s.run(`DELETE FROM revocations WHERE identifier = $1`, [identifier])) > 0;
  }

  async latestCredentialExpiry(subject: string): Promise<number> {
    const rows = await this.s.all(`SELECT MAX(expires_at) AS latest FROM credentials WHERE subject = $1`, [subject]);
    return rows[0]?.latest == null ? 0 : num(rows[0].latest);
  }

  async recordChange(type: 'member.suspended' | 'member.resumed' | 'credential.undelivered', actor: string, fields: Record<string, AuditValue>): Promise<void> {
    await this.append(type, actor, fields);
  }

  async recordCredentialIssued(c: CredentialIssuance, actor: string): Promise<void> {
    const ticketHash = 'ticketHash' in c.authorisedBy ? c.authorisedBy.ticketHash : null;
    const admin = 'admin' in c.authorisedBy ? c.authorisedBy.admin : null;
    await this.s.run(
      `INSERT INTO credentials (credential_hash, subject, attributes, created_at, expires_at, ticket_hash, admin)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [c.credentialHash, c.subject, JSON.stringify(c.attributes), c.createdAt, c.expiresAt, ticketHash, admin],
    );
    const fields: Record<string, AuditValue> = {
      subject: c.subject, attributes: c.attributes, createdAt: c.createdAt, expiresAt: c.expiresAt, credentialHash: c.credentialHash,
    };
    if (ticketHash !== null) fields.ticketHash = ticketHash;
    if (admin !== null) fields.admin = admin;
    if (c.signerKey !== undefined) fields.signerKey = c.signerKey;
    await this.append('credential.issued', actor, fields);
  }

  async putSigner(signer: SignerRecord, actor: string): Promise<void> {
    const changed = await this.s.run(
      `INSERT INTO signers (key_id, replica, key_type, public_key, attestation, attested_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (key_id) DO UPDATE SET replica = $2, attestation = $5, attested_at = $6, expires_at = $7 WHERE signers.withdrawn_at IS NULL`,
      [signer.keyId, signer.replica, signer.keyType, signer.publicKey, signer.attestation, signer.attestedAt, signer.expiresAt],
    );
    // A withdrawn key's row is left as it is, and nothing is audited.
    if (changed > 0) await this.append('signer.attested', actor, signerFields(signer));
  }

  async getSigner(keyId: string): Promise<SignerRecord | undefined> {
    const rows = await this.s.all(`SELECT * FROM signers WHERE key_id = $1${this.lock.share}`, [keyId]);
    return rows[0] === undefined ? undefined : toSigner(rows[0]);
  }

  async withdrawSigner(keyId: string, actor: string, at: number): Promise<SignerRecord | undefined> {
    const changed = await this.s.all(
      `UPDATE signers SET withdrawn_at = $2, withdrawn_by = $3 WHERE key_id = $1 AND withdrawn_at IS NULL RETURNING *`, [keyId, at, actor]);
    if (changed[0] !== undefined) {
      const signer = toSigner(changed[0]);
      await this.append('signer.withdrawn', actor, { signerKey: keyId, replica: signer.replica, withdrawnAt: at });
      return signer;
    }
    return await this.getSigner(keyId);
  }

  async recordRefusal(type: 'access.refused' | 'credential.refused' | 'ticket.refused' | 'refusals.aggregated', actor: string, fields: Record<string, AuditValue>): Promise<void> {
    await this.append(type, actor, fields);
  }

  /** Appends one chained record; the head row lock serializes appenders across processes. */
  private async append(type: AuditRecordType, actor: string, fields: Record<string, AuditValue>): Promise<AuditEntry> {
    const head = (await this.s.all(`SELECT seq, hash FROM audit_head WHERE id = 1${this.lock.update}`))[0];
    if (head === undefined) throw new UnsupportedError('authority', 'audit log head is missing: database not initialized');
    const record: AuditRecord = {
      version: AUDIT_FORMAT_VERSION, seq: num(head.seq) + 1, time: this.clock(), type, actor, fields, prevHash: String(head.hash),
    };
    const hash = auditRecordHash(record);
    const subject = typeof fields.subject === 'string' ? fields.subject : null;
    await this.s.run(
      `INSERT INTO audit_records (seq, time, type, actor, subject, fields, prev_hash, hash, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [record.seq, record.time, type, actor, subject, JSON.stringify(fields), record.prevHash, hash, record.version],
    );
    await this.s.run(`UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, [record.seq, hash]);
    return { ...record, hash };
  }
}

/** An {@link AuthorityStore} over SQLite or PostgreSQL; open it with `openSqliteAuthorityStore` or `openPostgresAuthorityStore`. */
export class SqlAuthorityStore implements AuthorityStore {
  private readonly lock: { update: string; share: string };

  private constructor(private readonly driver: SqlDriver, private readonly clock: Clock) {
    this.lock = driver.dialect === 'postgres' ? { update: ' FOR UPDATE', share: ' FOR SHARE' } : { update: '', share: '' };
  }

  /**
   * Creates the base schema if needed, applies the pending migrations (one transaction,
   * serialized across replicas on Postgres), refuses a schema newer than this code, and
   * returns the store.
   */
  static async open(driver: SqlDriver, clock: Clock = Date.now): Promise<SqlAuthorityStore> {
    await driver.transaction(async (s) => {
      if (driver.dialect === 'postgres') await s.all(`SELECT pg_advisory_xact_lock(7382001)`);
      for (const ddl of SCHEMA) await s.run(ddl);
      const rows = await s.all(`SELECT value FROM authority_meta WHERE key = 'schema_version'`);
      await migrateSchema(s, Number(rows[0]?.value));
    });
    return new SqlAuthorityStore(driver, clock);
  }

  async withTransaction<T>(fn: (tx: AuthorityTransaction) => Promise<T>, options?: StoreCallOptions): Promise<T> {
    return await this.driver.transaction((s) => fn(new SqlAuthorityTransaction(s, this.lock, this.clock)), options?.signal);
  }

  async listRevocations(now: number, options?: StoreCallOptions): Promise<RevocationRecord[]> {
    options?.signal?.throwIfAborted();
    const rows = await this.driver.query(`SELECT * FROM revocations WHERE until_at = 0 OR until_at > $1 ORDER BY identifier`, [now]);
    return rows.map(toRevocation);
  }

  async listSigners(options?: StoreCallOptions): Promise<SignerRecord[]> {
    options?.signal?.throwIfAborted();
    return (await this.driver.query(`SELECT * FROM signers ORDER BY attested_at, key_id`)).map(toSigner);
  }

  async getMember(identifier: string, options?: StoreCallOptions): Promise<MemberRecord | undefined> {
    options?.signal?.throwIfAborted();
    const row = (await this.driver.query(`SELECT * FROM members WHERE identifier = $1`, [identifier]))[0];
    return row === undefined ? undefined : toMember(row);
  }

  async auditHead(options?: StoreCallOptions): Promise<AuditHead> {
    options?.signal?.throwIfAborted();
    const row = (await this.driver.query(`SELECT seq, hash FROM audit_head WHERE id = 1`))[0];
    return row === undefined ? { seq: 0, hash: GENESIS_HASH } : { seq: num(row.seq), hash: String(row.hash) };
  }

  async readAudit(query: AuditQuery = {}, options?: StoreCallOptions): Promise<AuditEntry[]> {
    options?.signal?.throwIfAborted();
    const where: string[] = ['seq > $1'];
    const params: unknown[] = [query.afterSeq ?? 0];
    if (query.sinceTime !== undefined) { params.push(query.sinceTime); where.push(`time >= $${params.length}`); }
    if (query.subject !== undefined) { params.push(query.subject); where.push(`subject = $${params.length}`); }
    params.push(Math.max(1, Math.min(query.limit ?? 1000, 100_000)));
    const rows = await this.driver.query(`SELECT * FROM audit_records WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.length}`, params);
    return rows.map(toEntry);
  }

  async readAuditHashes(afterSeq: number, limit: number, options?: StoreCallOptions): Promise<AuditHead[]> {
    options?.signal?.throwIfAborted();
    const rows = await this.driver.query(`SELECT seq, hash FROM audit_records WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, Math.max(1, Math.min(limit, 100_000))]);
    return rows.map((r) => ({ seq: num(r.seq), hash: String(r.hash) }));
  }

  async saveCheckpoint(c: StoredCheckpoint, options?: StoreCallOptions): Promise<void> {
    await this.driver.transaction(async (s) => {
      // A checkpoint without a tree head (version 1) at the same seq gives way to one with it.
      await s.run(
        `INSERT INTO audit_checkpoints (seq, authority, head, time, signature_type, signature, version, root, frontier) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (seq) DO UPDATE SET authority = excluded.authority, head = excluded.head, time = excluded.time, signature_type = excluded.signature_type,
           signature = excluded.signature, version = excluded.version, root = excluded.root, frontier = excluded.frontier
         WHERE audit_checkpoints.root IS NULL AND excluded.root IS NOT NULL`,
        [c.seq, c.authority, c.head, c.time, c.signature.type, Buffer.from(c.signature.bytes).toString('base64url'), c.version,
          c.root ?? null, c.frontier === undefined ? null : JSON.stringify(c.frontier)],
      );
    }, options?.signal);
  }

  async checkpoints(upToSeq?: number, options?: StoreCallOptions): Promise<StoredCheckpoint[]> {
    return await this.checkpointsBetween(0, upToSeq ?? Number.MAX_SAFE_INTEGER, options);
  }

  async checkpointsBetween(afterSeq: number, upToSeq: number, options?: StoreCallOptions): Promise<StoredCheckpoint[]> {
    options?.signal?.throwIfAborted();
    const rows = await this.driver.query(`SELECT * FROM audit_checkpoints WHERE seq > $1 AND seq <= $2 ORDER BY seq`, [afterSeq, upToSeq]);
    return rows.map((r) => ({
      version: num(r.version), authority: String(r.authority), seq: num(r.seq), head: String(r.head), time: num(r.time),
      signature: { type: String(r.signature_type) as SignedCheckpoint['signature']['type'], bytes: new Uint8Array(Buffer.from(String(r.signature), 'base64url')) },
      ...(r.root == null ? {} : { root: String(r.root) }),
      ...(r.frontier == null ? {} : { frontier: JSON.parse(String(r.frontier)) as string[] }),
    }));
  }

  async saveAuditSubtrees(subtrees: readonly AuditSubtree[], options?: StoreCallOptions): Promise<void> {
    if (subtrees.length === 0) return;
    await this.driver.transaction(async (s) => {
      for (const t of subtrees) {
        await s.run(`INSERT INTO audit_subtrees (level, idx, hash) VALUES ($1, $2, $3) ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash`, [t.level, t.index, t.hash]);
      }
    }, options?.signal);
  }

  async auditSubtrees(positions: readonly { readonly level: number; readonly index: number }[], options?: StoreCallOptions): Promise<AuditSubtree[]> {
    options?.signal?.throwIfAborted();
    const out: AuditSubtree[] = [];
    // At most 100 positions (200 parameters) a query; a proof asks for about 2 log2(n).
    for (let i = 0; i < positions.length; i += 100) {
      const chunk = positions.slice(i, i + 100);
      const params: number[] = [];
      const where = chunk.map((p) => {
        params.push(p.level, p.index);
        return `(level = $${params.length - 1} AND idx = $${params.length})`;
      }).join(' OR ');
      const rows = await this.driver.query(`SELECT level, idx, hash FROM audit_subtrees WHERE ${where}`, params);
      for (const r of rows) out.push({ level: num(r.level), index: num(r.idx), hash: String(r.hash) });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}
