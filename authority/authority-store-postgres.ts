import pg from 'pg';
import { AbortedError, IoError } from '../core/errors.js';
import { SqlAuthorityStore, type Clock } from './sql-authority-store.js';
import type { SqlDriver, SqlRow, SqlSession } from './sql-driver.js';

/** Options for {@link openPostgresAuthorityStore}. */
export interface PostgresAuthorityStoreOptions {
  /** Maximum pool connections (default 10). */
  readonly maxConnections?: number;
  /** Clock for audit record times (default `Date.now`). */
  readonly clock?: Clock;
}

/** SQLSTATEs after which a transaction may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/**
 * PostgreSQL through a `pg` pool. Transactions run at READ COMMITTED: the ticket
 * redemption is one conditional UPDATE (Postgres re-checks its WHERE clause against the
 * newest row version after waiting for a concurrent writer), member reads inside a
 * transaction take a share lock, and every audit append locks the single log-head row,
 * always as the last lock a transaction takes, so appends from all replicas form one
 * chain and lock waits cannot cycle.
 */
class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;

  constructor(private readonly pool: pg.Pool) {}

  async transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError('authority');
      const client = await this.connect();
      const session: SqlSession = {
        all: async (sql, params = []) => (await client.query(sql, params as unknown[])).rows as SqlRow[],
        run: async (sql, params = []) => (await client.query(sql, params as unknown[])).rowCount ?? 0,
      };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
        const result = await fn(session);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        try { await client.query('ROLLBACK'); } catch (rollbackError) { broken = rollbackError as Error; }
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> {
    try {
      return (await this.pool.query(sql, params as unknown[])).rows as SqlRow[];
    } catch (cause) {
      throw new IoError('authority', `authority database query failed: ${(cause as Error).message}`, { cause });
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (cause) {
      throw new IoError('authority', `cannot connect to the authority database: ${(cause as Error).message}`, { cause });
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * Opens the authority's state in the PostgreSQL database at `url`
 * (`postgres://user@host:port/db`), creating the schema if needed. Several authority
 * processes may open the same database and serve one project.
 */
export async function openPostgresAuthorityStore(url: string, options: PostgresAuthorityStoreOptions = {}): Promise<SqlAuthorityStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
  pool.on('error', () => { /* an idle client failed: the pool drops it and the next query reconnects */ });
  try {
    return await SqlAuthorityStore.open(new PostgresDriver(pool), options.clock);
  } catch (error) {
    await pool.end();
    if (error instanceof Error && !('origin' in error)) {
      throw new IoError('authority', `cannot open authority database: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
