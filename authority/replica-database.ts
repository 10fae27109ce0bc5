import { readFileSync, statSync } from 'node:fs';
import pg from 'pg';
import { InvalidInputError, IoError, UnsupportedError } from '../core/errors.js';

/** Milliseconds since the epoch by the database server's clock (one clock for every replica). */
export const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** How the replicas' tables change, oldest first (version in `replica_meta`). Never edit a shipped entry. */
const REPLICA_SCHEMA: ReadonlyArray<{ readonly version: number; readonly statements: readonly string[] }> = [
  {
    version: 1,
    statements: [
      `CREATE TABLE project_replicas (
         id TEXT PRIMARY KEY, route TEXT NOT NULL, identifier TEXT NOT NULL, started_at BIGINT NOT NULL,
         heartbeat_at BIGINT NOT NULL, relays INTEGER NOT NULL DEFAULT 0, members INTEGER NOT NULL DEFAULT 0)`,
      `CREATE TABLE relay_leases (name TEXT PRIMARY KEY, replica TEXT NOT NULL, owner TEXT, expires_at BIGINT NOT NULL)`,
      `CREATE INDEX relay_leases_replica ON relay_leases (replica)`,
    ],
  },
];

/** The replica schema version this code writes and understands. */
export const REPLICA_SCHEMA_VERSION = REPLICA_SCHEMA.at(-1)!.version;

/** Where a replica's database connection comes from: a URL without password, and the password's source. */
export interface ReplicaDatabaseOptions {
  /** `postgres://user@host:port/db`: never with a password (see {@link checkDatabaseUrl}). */
  readonly url: string;
  /** A file (mode 0600 or stricter) holding the password; else libpq's `PGPASSWORD` or passfile. */
  readonly passwordFile?: string;
  /** Pool size (default 4). */
  readonly maxConnections?: number;
  /** Statement and connect bound in ms (default 5000). */
  readonly timeoutMs?: number;
}

/**
 * Refuses a database URL that carries a password (it would end up in argv, the saved
 * configuration and process listings): the password comes from `PGPASSWORD`, a libpq
 * passfile (`~/.pgpass`, `PGPASSFILE`) or a password file. Returns the URL.
 */
export function checkDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidInputError('authority', 'the database URL is not a valid postgres:// URL');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') throw new InvalidInputError('authority', 'the database URL must start with postgres:// or postgresql://');
  if (parsed.password !== '' || parsed.searchParams.has('password')) {
    throw new InvalidInputError('authority', 'the database URL must not contain a password: give it in PGPASSWORD, a libpq passfile (~/.pgpass or PGPASSFILE) or --database-password-file');
  }
  return url;
}

/** Reads the database password from `file`; refuses a file others may read. */
export function readPasswordFile(file: string): string {
  let stat;
  try {
    stat = statSync(file);
  } catch (cause) {
    throw new IoError('authority', `cannot read the database password file ${file}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
  if ((stat.mode & 0o077) !== 0) throw new InvalidInputError('authority', `the database password file ${file} may be read by others (mode ${(stat.mode & 0o777).toString(8)}): chmod 600 it`);
  const password = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  if (password.length === 0) throw new InvalidInputError('authority', `the database password file ${file} is empty`);
  return password;
}

/** The `pg` connection settings of {@link ReplicaDatabaseOptions} (password from the file when given). */
export function pgConnection(options: ReplicaDatabaseOptions): pg.ClientConfig {
  checkDatabaseUrl(options.url);
  return { connectionString: options.url, ...(options.passwordFile !== undefined ? { password: readPasswordFile(options.passwordFile) } : {}) };
}

/** Opens a pool for the replica tables and brings their schema up to date (serialized across replicas). */
export async function openReplicaPool(options: ReplicaDatabaseOptions): Promise<pg.Pool> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const pool = new pg.Pool({
    ...pgConnection(options), max: options.maxConnections ?? 4,
    statement_timeout: timeoutMs, query_timeout: timeoutMs + 1000, connectionTimeoutMillis: timeoutMs,
  });
  pool.on('error', () => { /* an idle client failed: the pool drops it */ });
  try {
    await migrateReplicaSchema(pool);
    return pool;
  } catch (error) {
    await pool.end();
    if (error instanceof UnsupportedError) throw error;
    throw new IoError('authority', `cannot open the replica tables: ${(error as Error).message}`, { cause: error });
  }
}

async function migrateReplicaSchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One replica at a time creates or upgrades the tables.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('symbolon replica schema'))`);
    await client.query(`CREATE TABLE IF NOT EXISTS replica_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    const rows = (await client.query(`SELECT value FROM replica_meta WHERE key = 'schema_version'`)).rows as Array<{ value: string }>;
    const current = rows.length === 0 ? 0 : Number(rows[0]!.value);
    if (current > REPLICA_SCHEMA_VERSION) {
      throw new UnsupportedError('authority', `replica schema version ${current} is newer than this program knows (${REPLICA_SCHEMA_VERSION}): upgrade symbolon`);
    }
    for (const step of REPLICA_SCHEMA) {
      if (step.version <= current) continue;
      for (const statement of step.statements) await client.query(statement);
    }
    await client.query(`INSERT INTO replica_meta (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`, [String(REPLICA_SCHEMA_VERSION)]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
