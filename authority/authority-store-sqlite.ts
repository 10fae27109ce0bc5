import Database from 'better-sqlite3';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { AbortedError, IoError } from '../core/errors.js';
import { SqlAuthorityStore, type Clock } from './sql-authority-store.js';
import type { SqlDriver, SqlRow, SqlSession } from './sql-driver.js';

/** Options for {@link openSqliteAuthorityStore}. */
export interface SqliteAuthorityStoreOptions {
  /** How long a writer waits for another process's lock, in ms (default 5000). */
  readonly busyTimeoutMs?: number;
  /** Clock for audit record times (default `Date.now`). */
  readonly clock?: Clock;
}

/** `$n` placeholders rewritten to `?`, with the parameter index each `?` takes. */
interface Prepared { readonly stmt: Database.Statement; readonly order: readonly number[] }

function bindValue(value: unknown): unknown {
  return typeof value === 'boolean' ? (value ? 1 : 0) : value;
}

/**
 * SQLite through better-sqlite3: one connection, WAL, `BEGIN IMMEDIATE` transactions
 * queued one after another inside the process. Other processes may open the same file;
 * they wait up to the busy timeout for the write lock. Open one store per file per
 * process: better-sqlite3 waits for locks synchronously.
 */
class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, Prepared>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly session: SqlSession;

  constructor(private readonly db: Database.Database) {
    this.session = {
      all: async (sql, params = []) => this.all(sql, params),
      run: async (sql, params = []) => {
        const [stmt, ordered] = this.prepare(sql, params);
        return stmt.run(...ordered).changes;
      },
    };
  }

  private prepare(sql: string, params: readonly unknown[]): [Database.Statement, unknown[]] {
    let entry = this.statements.get(sql);
    if (entry === undefined) {
      const order: number[] = [];
      const text = sql.replace(/\$(\d+)/g, (_, n: string) => { order.push(Number(n) - 1); return '?'; });
      entry = { stmt: this.db.prepare(text), order };
      this.statements.set(sql, entry);
    }
    return [entry.stmt, entry.order.map((i) => bindValue(params[i]))];
  }

  private all(sql: string, params: readonly unknown[]): SqlRow[] {
    const [stmt, ordered] = this.prepare(sql, params);
    return stmt.reader ? (stmt.all(...ordered) as SqlRow[]) : (stmt.run(...ordered), []);
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const run = async (): Promise<T> => {
      signal?.throwIfAborted();
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.session);
        if (signal?.aborted) throw new AbortedError('authority', 'the request was abandoned: its transaction was rolled back');
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return await next;
  }

  async query(sql: string, params: readonly unknown[] = []): Promise<SqlRow[]> {
    return this.all(sql, params);
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.db.open) this.db.close();
  }
}

/**
 * Opens (creating if needed) the authority's SQLite database at `path`: the file is
 * mode 0600 in a 0700 directory; WAL journal, NORMAL sync, a busy timeout for other
 * processes.
 */
export async function openSqliteAuthorityStore(path: string, options: SqliteAuthorityStoreOptions = {}): Promise<SqlAuthorityStore> {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    db = new Database(path);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
  } catch (cause) {
    throw new IoError('authority', `cannot open authority database ${path}: ${(cause as Error).message}`, { cause });
  }
  try {
    return await SqlAuthorityStore.open(new SqliteDriver(db), options.clock);
  } catch (error) {
    db.close();
    throw error;
  }
}
