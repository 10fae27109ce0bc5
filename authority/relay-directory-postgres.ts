import pg from 'pg';
import { AbortedError, IoError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RelayClaim, RelayDirectory, RelayLocation } from '../core/relay/relay-directory.js';
import { NOW_MS } from './replica-database.js';

/** The LISTEN/NOTIFY channel on which relay ownership changes are announced (payload: the name). */
export const RELAY_NOTIFY_CHANNEL = 'symbolon_relays';

/** Options of {@link PostgresRelayDirectory}. */
export interface PostgresRelayDirectoryOptions {
  /** This replica's id (its row in `project_replicas`). */
  readonly replica: string;
  /** Pool for claims, renewals and lookups. */
  readonly pool: pg.Pool;
  /** Connection settings of the dedicated LISTEN connection. */
  readonly listen: pg.ClientConfig;
  /** Lease length in ms (default 10 000): a name its holder stopped renewing is free after this. */
  readonly leaseMs?: number;
  /** Renewal period in ms (default a quarter of the lease). */
  readonly renewMs?: number;
  /** Cache lookups (default true): entries are dropped on a change notification and after one lease length. */
  readonly cache?: boolean;
  /** Told the outcome of each renewal (the heartbeat rides on it). */
  readonly onRenewed?: (leases: number) => void;
  readonly logger: Logger;
}

interface Cached {
  readonly location: RelayLocation | undefined;
  readonly at: number;
}

/**
 * The relay directory on the project's Postgres (`relay_leases`): a claim is one
 * conditional upsert that succeeds when the name is free, its lease expired, or the same
 * (authenticated) owner holds it (it moves to this replica); so exactly one replica holds a name however
 * many race. The replica renews all its leases in one UPDATE every `renewMs`; every change
 * of holder is announced with NOTIFY, and a LISTEN connection invalidates the lookup cache
 * of every replica at once (after a lost LISTEN connection the whole cache is dropped).
 */
export class PostgresRelayDirectory implements RelayDirectory {
  readonly replica: string;
  private readonly pool: pg.Pool;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly caching: boolean;
  private readonly cache = new Map<string, Cached>();
  private readonly listeners = new Set<(name: string, location: RelayLocation | undefined) => void>();
  private readonly stopping = new AbortController();
  private listenClient: pg.Client | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: PostgresRelayDirectoryOptions) {
    this.replica = options.replica;
    this.pool = options.pool;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.renewMs = options.renewMs ?? Math.floor(this.leaseMs / 4);
    this.caching = options.cache ?? true;
  }

  /**
   * Drops the leases a previous process of this replica left (their relays are gone with
   * it), opens the LISTEN connection and starts renewing leases.
   */
  async start(): Promise<void> {
    await this.query(
      `WITH d AS (DELETE FROM relay_leases WHERE replica = $1 RETURNING name) SELECT pg_notify('${RELAY_NOTIFY_CHANNEL}', name) FROM d`, [this.replica]);
    await this.listen();
    this.renewTimer = setInterval(() => { void this.renew(); }, this.renewMs);
    this.renewTimer.unref();
  }

  /** Stops renewing and listening (leases then expire unless released). */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.renewTimer);
    clearTimeout(this.reconnectTimer);
    const client = this.listenClient;
    this.listenClient = undefined;
    await client?.end().catch(() => undefined);
  }

  /** {@inheritDoc RelayDirectory.claim} */
  async claim(name: string, owner: string | undefined, { signal }: { signal?: AbortSignal } = {}): Promise<RelayClaim> {
    const rows = await this.query(
      `WITH c AS (
         INSERT INTO relay_leases (name, replica, owner, expires_at) VALUES ($1, $2, $3, ${NOW_MS} + $4)
         ON CONFLICT (name) DO UPDATE SET replica = EXCLUDED.replica, owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
         WHERE relay_leases.expires_at <= ${NOW_MS} OR relay_leases.owner = EXCLUDED.owner
         RETURNING name)
       SELECT name, pg_notify('${RELAY_NOTIFY_CHANNEL}', name) FROM c`, [name, this.replica, owner ?? null, this.leaseMs], signal);
    if (rows.length > 0) {
      this.cache.delete(name);
      return { claimed: true };
    }
    const held = await this.query(`SELECT owner FROM relay_leases WHERE name = $1`, [name], signal);
    const holder = held[0]?.owner;
    return { claimed: false, ...(typeof holder === 'string' ? { holder } : {}) };
  }

  /** {@inheritDoc RelayDirectory.release} */
  async release(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<void> {
    this.cache.delete(name);
    await this.query(
      `WITH d AS (DELETE FROM relay_leases WHERE name = $1 AND replica = $2 RETURNING name)
       SELECT pg_notify('${RELAY_NOTIFY_CHANNEL}', name) FROM d`, [name, this.replica], signal);
  }

  /** {@inheritDoc RelayDirectory.lookup} */
  async lookup(name: string, { signal }: { signal?: AbortSignal } = {}): Promise<RelayLocation | undefined> {
    const cached = this.cache.get(name);
    if (cached !== undefined && Date.now() - cached.at < this.leaseMs) return cached.location;
    const rows = await this.query(
      `SELECT l.replica, r.route FROM relay_leases l JOIN project_replicas r ON r.id = l.replica
        WHERE l.name = $1 AND l.expires_at > ${NOW_MS}`, [name], signal);
    const row = rows[0];
    const location = row === undefined ? undefined : { replica: String(row.replica), route: String(row.route) };
    if (this.caching) this.cache.set(name, { location, at: Date.now() });
    return location;
  }

  /** {@inheritDoc RelayDirectory.onChange} */
  onChange(listener: (name: string, location: RelayLocation | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Renews every lease this replica holds, in one statement; never rejects. */
  async renew(): Promise<number> {
    try {
      const rows = await this.query(`UPDATE relay_leases SET expires_at = ${NOW_MS} + $2 WHERE replica = $1 RETURNING name`, [this.replica, this.leaseMs]);
      this.options.onRenewed?.(rows.length);
      return rows.length;
    } catch (error) {
      this.options.logger.warn({ err: (error as Error).message }, 'cannot renew relay leases');
      return 0;
    }
  }

  private async listen(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    const client = new pg.Client(this.options.listen);
    const lost = (): void => {
      if (this.listenClient !== client) return;
      this.listenClient = undefined;
      client.end().catch(() => undefined);
      // Notifications may be missed until it is back: trust nothing cached.
      this.cache.clear();
      if (this.stopping.signal.aborted) return;
      this.options.logger.warn({}, 'relay directory notifications lost; reconnecting');
      this.reconnectTimer = setTimeout(() => { this.listen().catch(() => lost()); }, 1_000);
      this.reconnectTimer.unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => { if (n.channel === RELAY_NOTIFY_CHANNEL && n.payload !== undefined) this.changed(n.payload); });
    this.listenClient = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${RELAY_NOTIFY_CHANNEL}`);
    } catch (cause) {
      lost();
      throw new IoError('authority', `cannot listen for relay directory changes: ${(cause as Error).message}`, { cause });
    }
    this.cache.clear();
  }

  private changed(name: string): void {
    this.cache.delete(name);
    if (this.listeners.size === 0) return;
    this.lookup(name).then((location) => {
      for (const listener of this.listeners) listener(name, location);
    }, (error: unknown) => this.options.logger.warn({ relay: name, err: (error as Error).message }, 'cannot read a changed relay lease'));
  }

  /** Runs one statement; with `signal`, stops waiting when it aborts (the statement itself runs to its own timeout). */
  private async query(sql: string, params: unknown[], signal?: AbortSignal): Promise<Array<Record<string, unknown>>> {
    try {
      const running = this.pool.query(sql, params);
      if (signal === undefined) return (await running).rows as Array<Record<string, unknown>>;
      running.catch(() => undefined);
      return (await abortable(running, signal)).rows as Array<Record<string, unknown>>;
    } catch (cause) {
      if (cause instanceof AbortedError) throw cause;
      throw new IoError('authority', `relay directory query failed: ${(cause as Error).message}`, { cause });
    }
  }
}

/** `promise`, or an AbortedError as soon as `signal` aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError('authority', 'the relay directory did not answer in time'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError('authority', 'the relay directory did not answer in time'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
    );
  });
}
