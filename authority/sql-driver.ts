import { GENESIS_HASH } from './audit-record.js';

/** A row as a driver returns it (Postgres returns BIGINT columns as strings). */
export type SqlRow = Record<string, unknown>;

/**
 * One connection inside a transaction. SQL uses `$1, $2 ...` placeholders; the SQLite
 * driver rewrites them.
 */
export interface SqlSession {
  /** Rows of a query. */
  all(sql: string, params?: readonly unknown[]): Promise<SqlRow[]>;
  /** Runs a statement and returns the number of rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/** A database the SQL authority store runs on. */
export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `fn` in a read-write transaction that serializes with other writers. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Runs one read-only query outside any explicit transaction. */
  query(sql: string, params?: readonly unknown[]): Promise<SqlRow[]>;
  close(): Promise<void>;
}

/** Version of the base schema {@link SCHEMA}; later changes are `schema-migrations.ts`. */
export const BASE_SCHEMA_VERSION = 1;

/** Portable DDL (SQLite and PostgreSQL) of schema version 1; every time is BIGINT milliseconds. */
export const SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS authority_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS tickets (
     hash TEXT PRIMARY KEY, attributes TEXT NOT NULL, usage_count INTEGER NOT NULL, uses_left INTEGER NOT NULL,
     expires_at BIGINT NOT NULL, relays TEXT NOT NULL, enroller INTEGER NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS members (
     identifier TEXT PRIMARY KEY, attributes TEXT NOT NULL, role TEXT NOT NULL, added_by TEXT NOT NULL,
     added_at BIGINT NOT NULL, ticket_hash TEXT)`,
  `CREATE TABLE IF NOT EXISTS credentials (
     credential_hash TEXT PRIMARY KEY, subject TEXT NOT NULL, attributes TEXT NOT NULL, created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL, ticket_hash TEXT, admin TEXT)`,
  `CREATE INDEX IF NOT EXISTS credentials_subject ON credentials (subject)`,
  `CREATE TABLE IF NOT EXISTS audit_head (id INTEGER PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)`,
  `INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '${GENESIS_HASH}') ON CONFLICT DO NOTHING`,
  `CREATE TABLE IF NOT EXISTS audit_records (
     seq BIGINT PRIMARY KEY, time BIGINT NOT NULL, type TEXT NOT NULL, actor TEXT NOT NULL, subject TEXT,
     fields TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, version INTEGER NOT NULL)`,
  `CREATE INDEX IF NOT EXISTS audit_records_subject ON audit_records (subject, seq)`,
  `CREATE INDEX IF NOT EXISTS audit_records_time ON audit_records (time)`,
  `CREATE TABLE IF NOT EXISTS audit_checkpoints (
     seq BIGINT PRIMARY KEY, authority TEXT NOT NULL, head TEXT NOT NULL, time BIGINT NOT NULL,
     signature_type TEXT NOT NULL, signature TEXT NOT NULL, version INTEGER NOT NULL)`,
  `INSERT INTO authority_meta (key, value) VALUES ('schema_version', '${BASE_SCHEMA_VERSION}') ON CONFLICT DO NOTHING`,
];
