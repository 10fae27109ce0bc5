import pg from 'pg';
import { AbortedError, IoError, TimeoutError } from '../core/errors.js';
import { isConnectionFailure, StorageUnavailableError } from './storage-unavailable-error.js';
import { SqlAuthorityStore, type Clock } from './sql-authority-store.js';
import type { SqlDriver, SqlRow, SqlSession } from './sql-driver.js';

/** Options for {@link openPostgresAuthorityStore}. */
export interface PostgresAuthorityStoreOptions {
  /** Maximum pool connections (default 10). */
  readonly maxConnections?: number;
  /** Clock for audit record times (default `Date.now`). */
  readonly clock?: Clock;
  /**
   * How long one statement may run, wait for a lock, or wait for the server's answer, and
   * how long connecting may take, in ms (default 5000). The server enforces it
   * (`statement_timeout`, `lock_timeout`) and so does this side, for a server that does not
   * answer at all; an open transaction left idle twice as long is ended by the server.
   */
  readonly statementTimeoutMs?: number;
  /** The password (else `pg` takes `PGPASSWORD` or the libpq passfile). */
  readonly password?: string;
}

/** Default of {@link PostgresAuthorityStoreOptions.statementTimeoutMs}. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

/** True for the error `pg` raises when the server did not answer within `query_timeout`. */
function isReadTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Query read timeout';
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

  constructor(private readonly pool: pg.Pool, private readonly timeoutMs: number) {}

  /**
   * Runs `fn` in a transaction. A request whose `signal` was aborted meanwhile (its caller
   * gave up or timed out) is rolled back instead of committed. A statement that times out
   * fails with TimeoutError, and its connection is dropped (the server rolls back).
   */
  async transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) throw new AbortedError('authority', 'the request was abandoned before its transaction started');
      const client = await this.connect();
      const session: SqlSession = {
        all: async (sql, params = []) => (await client.query(sql, params as unknown[])).rows as SqlRow[],
        run: async (sql, params = []) => (await client.query(sql, params as unknown[])).rowCount ?? 0,
      };
      let broken: Error | undefined;
      try {
        await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
        const result = await fn(session);
        if (signal?.aborted) throw new AbortedError('authority', 'the request was abandoned: its transaction was rolled back');
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (isReadTimeout(error)) {
          broken = error as Error;
          throw this.timeout(error);
        }
        try { await client.query('ROLLBACK'); } catch (rollbackError) { broken = rollbackError as Error; }
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
        if (code === '57014' || code === '55P03') throw this.timeout(error);
        if (isConnectionFailure(error)) {
          broken ??= error as Error;
          throw new StorageUnavailableError({ cause: error });
        }
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
      if (isReadTimeout(cause) || ['57014', '55P03'].includes(String((cause as { code?: unknown }).code))) throw this.timeout(cause);
      if (isConnectionFailure(cause)) throw new StorageUnavailableError({ cause });
      throw new IoError('authority', `authority database query failed: ${(cause as Error).message}`, { cause });
    }
  }

  private timeout(cause: unknown): TimeoutError {
    return new TimeoutError('authority', `the authority database did not answer within ${this.timeoutMs} ms`, { cause });
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (cause) {
      if (/timeout/i.test((cause as Error).message)) throw new TimeoutError('authority', `cannot connect to the authority database within ${this.timeoutMs} ms`, { cause });
      if (isConnectionFailure(cause)) throw new StorageUnavailableError({ cause });
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
  const timeoutMs = Math.max(100, Math.floor(options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS));
  const pool = new pg.Pool({
    connectionString: url, max: options.maxConnections ?? 10, ...(options.password !== undefined ? { password: options.password } : {}),
    statement_timeout: timeoutMs, lock_timeout: timeoutMs, idle_in_transaction_session_timeout: 2 * timeoutMs,
    // This side's own bound, a little later than the server's: it ends the wait for a server that does not answer.
    query_timeout: timeoutMs + 1000, connectionTimeoutMillis: timeoutMs,
  });
  pool.on('error', () => { /* an idle client failed: the pool drops it and the next query reconnects */ });
  try {
    return await SqlAuthorityStore.open(new PostgresDriver(pool, timeoutMs), options.clock);
  } catch (error) {
    await pool.end();
    if (error instanceof Error && !('origin' in error)) {
      throw new IoError('authority', `cannot open authority database: ${error.message}`, { cause: error });
    }
    throw error;
  }
}
