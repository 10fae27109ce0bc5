import type pg from 'pg';
import { SecureChannelRegistry } from '../../../core/channel/secure-channel-registry.js';
import type { ReplicaConnector } from '../../../core/relay/relay-service.js';
import { openReplicaPool, pgConnection, type ReplicaDatabaseOptions } from '../../../authority/replica-database.js';
import { PostgresReplicaRegistry, REPLICA_HEARTBEAT_MS, type ReplicaRecord } from '../../../authority/replica-registry-postgres.js';
import { PostgresRelayDirectory } from '../../../authority/relay-directory-postgres.js';
import type { DaemonContext } from '../service.js';

/** What a project node on Postgres shares with the project's other replicas. */
export interface ProjectReplication {
  /** This node's replica id. */
  readonly id: string;
  readonly directory: PostgresRelayDirectory;
  readonly registry: PostgresReplicaRegistry;
  /** Opens the channel to another replica, pinned to the authority identity. */
  readonly connectReplica: ReplicaConnector;
  /** Routes of the live replicas, this one first (refreshed with every heartbeat). */
  routes(): readonly string[];
  /** The same, read from the database now (a replica added since the last heartbeat is in it); the last known routes when the database does not answer. */
  currentRoutes(): Promise<readonly string[]>;
  /** Every registered replica. */
  list(): Promise<ReplicaRecord[]>;
}

/**
 * Joins the project node to the project's replicas in the shared Postgres: registers
 * replica `id` at `route`, starts the relay directory (leases renewed and a heartbeat
 * written every {@link REPLICA_HEARTBEAT_MS}), and connects to other replicas over secure
 * channels pinned to the authority identity `authority` (both ends run it, each with its
 * own attested purpose keys). Everything stops with the node.
 */
export async function startProjectReplication(
  ctx: DaemonContext,
  { id, route, authority, database }: { id: string; route: string; authority: string; database: ReplicaDatabaseOptions },
): Promise<ProjectReplication> {
  const pool: pg.Pool = await openReplicaPool(database);
  ctx.onStop(() => pool.end());
  const registry = new PostgresReplicaRegistry(pool);
  await registry.register({ id, route, identifier: authority });
  let routes: readonly string[] = [route];
  const membersConnected = (): number => {
    const peers = new Set<string>();
    for (const c of SecureChannelRegistry.of(ctx.node).list()) if (c.role === 'responder' && c.peer !== authority) peers.add(c.peer);
    return peers.size;
  };
  const heartbeat = (leases: number): void => {
    registry.heartbeat(id, { relays: leases, members: membersConnected() })
      .then(async () => {
        const live = await registry.liveRoutes();
        routes = [route, ...live.filter((r) => r !== route)];
      })
      .catch((err: unknown) => ctx.logger.warn({ err: (err as Error).message }, 'cannot write the replica heartbeat'));
  };
  const directory = new PostgresRelayDirectory({
    replica: id, pool, listen: pgConnection(database), renewMs: REPLICA_HEARTBEAT_MS, logger: ctx.logger.child({ component: 'relay-directory' }),
    onRenewed: heartbeat,
  });
  await directory.start();
  ctx.onStop(() => directory.stop());
  heartbeat(0);
  const connectReplica: ReplicaConnector = async (location, { signal }) => {
    const channel = await ctx.channels.toReplica(location.route, authority, { signal });
    return { address: channel.address, closed: ctx.channels.closedSignal(channel) };
  };
  ctx.logger.info({ replica: id, route }, 'project replica registered');
  const currentRoutes = async (): Promise<readonly string[]> => {
    try {
      const live = await registry.liveRoutes();
      routes = [route, ...live.filter((r) => r !== route)];
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message }, 'cannot read the replica routes: using the last known ones');
    }
    return routes;
  };
  return { id, directory, registry, connectReplica, routes: () => routes, currentRoutes, list: () => registry.list() };
}
