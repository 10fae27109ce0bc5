import type pg from 'pg';
import { AlreadyExistsError, IoError } from '../core/errors.js';
import { NOW_MS } from './replica-database.js';

/** One project node serving the project, as the shared database knows it. */
export interface ReplicaRecord {
  readonly id: string;
  /** Route text members and other replicas reach it at. */
  readonly route: string;
  /** The identity it runs as (the project's authority). */
  readonly identifier: string;
  readonly startedAt: number;
  /** Its last heartbeat (database clock, ms). */
  readonly heartbeatAt: number;
  /** Relays it held at its last heartbeat (leases in the directory). */
  readonly relays: number;
  /** Members with a channel to it at its last heartbeat. */
  readonly members: number;
  /** `healthy` when its heartbeat is recent, else `unreachable`. */
  readonly health: 'healthy' | 'unreachable';
}

/** How often a replica writes its heartbeat, in ms. */
export const REPLICA_HEARTBEAT_MS = 2_500;
/** A replica whose heartbeat is older than this is reported unreachable, in ms. */
export const REPLICA_STALE_MS = 4 * REPLICA_HEARTBEAT_MS;

/**
 * The project's replicas in the shared Postgres: each registers its id and route at start
 * and writes a heartbeat (with its relay and member counts) every few seconds;
 * `project replica list` reads them back and `project replica remove` deletes one.
 */
export class PostgresReplicaRegistry {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Registers (or re-registers after a restart) replica `id` at `route`. Refuses an id
   * another live replica uses at another route.
   */
  async register(replica: { id: string; route: string; identifier: string }): Promise<void> {
    const rows = await this.query(
      `INSERT INTO project_replicas (id, route, identifier, started_at, heartbeat_at) VALUES ($1, $2, $3, ${NOW_MS}, ${NOW_MS})
       ON CONFLICT (id) DO UPDATE SET route = EXCLUDED.route, identifier = EXCLUDED.identifier, started_at = EXCLUDED.started_at, heartbeat_at = EXCLUDED.heartbeat_at
       WHERE project_replicas.route = EXCLUDED.route OR project_replicas.heartbeat_at < ${NOW_MS} - $4
       RETURNING id`, [replica.id, replica.route, replica.identifier, REPLICA_STALE_MS]);
    if (rows.length === 0) throw new AlreadyExistsError('authority', `another live replica is registered as '${replica.id}' at another route`);
  }

  /** Writes replica `id`'s heartbeat and counts. */
  async heartbeat(id: string, counts: { relays: number; members: number }): Promise<void> {
    await this.query(`UPDATE project_replicas SET heartbeat_at = ${NOW_MS}, relays = $2, members = $3 WHERE id = $1`, [id, counts.relays, counts.members]);
  }

  /** Every registered replica, by id. */
  async list(): Promise<ReplicaRecord[]> {
    const rows = await this.query(
      `SELECT id, route, identifier, started_at, heartbeat_at, members,
              (SELECT count(*) FROM relay_leases l WHERE l.replica = r.id AND l.expires_at > ${NOW_MS}) AS leases, ${NOW_MS} AS now
         FROM project_replicas r ORDER BY id`);
    return rows.map((r) => ({
      id: String(r.id), route: String(r.route), identifier: String(r.identifier),
      startedAt: Number(r.started_at), heartbeatAt: Number(r.heartbeat_at), relays: Number(r.leases), members: Number(r.members),
      health: Number(r.now) - Number(r.heartbeat_at) <= REPLICA_STALE_MS ? 'healthy' as const : 'unreachable' as const,
    }));
  }

  /** Routes of the replicas with a recent heartbeat (tickets carry them). */
  async liveRoutes(): Promise<string[]> {
    return (await this.list()).filter((r) => r.health === 'healthy').map((r) => r.route);
  }

  /** Deletes replica `id` and its relay leases; false when there was none. */
  async remove(id: string): Promise<boolean> {
    const rows = await this.query(
      `WITH gone AS (DELETE FROM relay_leases WHERE replica = $1 RETURNING name), n AS (SELECT pg_notify('symbolon_relays', name) FROM gone)
       DELETE FROM project_replicas WHERE id = $1 AND (SELECT count(*) FROM n) >= 0 RETURNING id`, [id]);
    return rows.length > 0;
  }

  private async query(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    try {
      return (await this.pool.query(sql, params)).rows as Array<Record<string, unknown>>;
    } catch (cause) {
      throw new IoError('authority', `replica registry query failed: ${(cause as Error).message}`, { cause });
    }
  }
}
