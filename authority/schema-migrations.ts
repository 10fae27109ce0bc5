import { UnsupportedError } from '../core/errors.js';
import type { SqlSession } from './sql-driver.js';

/** One schema change, applied once, in order, on SQLite and PostgreSQL alike. */
export interface SchemaMigration {
  /** The schema version after this migration. */
  readonly version: number;
  readonly description: string;
  /** Portable statements (no dialect-specific SQL). */
  readonly statements: readonly string[];
}

/**
 * Every schema change after version 1 (the base schema in `sql-driver.ts`), oldest first.
 * Never edit a shipped entry: add a new one.
 */
export const SCHEMA_MIGRATIONS: readonly SchemaMigration[] = [
  {
    version: 2,
    description: 'enroller grant scope on tickets and members',
    statements: [
      `ALTER TABLE tickets ADD COLUMN grant_scope TEXT`,
      `ALTER TABLE members ADD COLUMN grant_scope TEXT`,
    ],
  },
  {
    version: 3,
    description: 'revoked and suspended identities',
    statements: [
      `CREATE TABLE revocations (
         identifier TEXT PRIMARY KEY, kind TEXT NOT NULL, revoked_at BIGINT NOT NULL, until_at BIGINT NOT NULL, actor TEXT NOT NULL)`,
    ],
  },
  {
    version: 4,
    description: 'Merkle tree heads on audit checkpoints (version 2 checkpoints) and the tree edge they end on',
    statements: [
      `ALTER TABLE audit_checkpoints ADD COLUMN root TEXT`,
      `ALTER TABLE audit_checkpoints ADD COLUMN frontier TEXT`,
    ],
  },
  {
    version: 5,
    description: 'attested credential-signing keys (one per project node replica) and their withdrawal',
    statements: [
      `CREATE TABLE signers (
         key_id TEXT PRIMARY KEY, replica TEXT NOT NULL, key_type TEXT NOT NULL, public_key TEXT NOT NULL, attestation TEXT NOT NULL,
         attested_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, withdrawn_at BIGINT, withdrawn_by TEXT)`,
    ],
  },
  {
    version: 6,
    description: 'cached heads of the perfect Merkle subtrees of the audit log (256 records and up), so a proof reads O(log n) rows',
    statements: [
      `CREATE TABLE audit_subtrees (level INTEGER NOT NULL, idx BIGINT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (level, idx))`,
    ],
  },
];

/** The schema version this code writes and understands. */
export const LATEST_SCHEMA_VERSION = SCHEMA_MIGRATIONS.at(-1)?.version ?? 1;

/**
 * Brings a database at `current` up to {@link LATEST_SCHEMA_VERSION} inside the caller's
 * transaction (DDL is transactional on both databases), recording the version reached.
 * Refuses a database newer than this code knows: an older replica must not write to it.
 * Returns the versions applied.
 */
export async function migrateSchema(s: SqlSession, current: number): Promise<number[]> {
  if (!Number.isSafeInteger(current) || current < 1) throw new UnsupportedError('authority', `authority database schema version ${String(current)} is not valid`);
  if (current > LATEST_SCHEMA_VERSION) {
    throw new UnsupportedError('authority', `authority database schema version ${current} is newer than this program knows (${LATEST_SCHEMA_VERSION}): upgrade symbolon`);
  }
  const applied: number[] = [];
  for (const migration of SCHEMA_MIGRATIONS) {
    if (migration.version <= current) continue;
    for (const statement of migration.statements) await s.run(statement);
    await s.run(`UPDATE authority_meta SET value = $1 WHERE key = 'schema_version'`, [String(migration.version)]);
    applied.push(migration.version);
  }
  return applied;
}
