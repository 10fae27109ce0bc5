// Project node replicas on one Postgres: credential issuances per second through one and
// through three Authority instances, each with its own connection pool to the same
// database (the replicas' shared state: membership checks, the one audit chain whose
// head row serializes appends), and relay directory lookups per second (one SELECT each,
// and from the cache). Prints one JSON line; exports the measurement.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { digestOf, encodeDeterministic } from '../core/cbor.js';
import type { Logger } from '../core/logger.js';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { Authority } from '../authority/authority.js';
import { openPostgresAuthorityStore } from '../authority/authority-store-postgres.js';
import type { SqlAuthorityStore } from '../authority/sql-authority-store.js';
import { openReplicaPool } from '../authority/replica-database.js';
import { PostgresRelayDirectory } from '../authority/relay-directory-postgres.js';
import { PostgresReplicaRegistry } from '../authority/replica-registry-postgres.js';
import { startTestPostgres } from '../integration/support/postgres.js';

/** Result of {@link benchReplicas}. */
export interface ReplicasBench {
  /** Credentials per second through one authority instance on Postgres. */
  readonly oneReplica: number;
  /** Credentials per second through three instances sharing that Postgres (all in this process). */
  readonly threeReplicas: number;
  /** threeReplicas / oneReplica. */
  readonly ratio: number;
  /** Relay directory lookups per second, one database round trip each (cache off). */
  readonly lookupsPerSecond: number;
  /** Relay directory lookups per second answered from the (warmed) cache. */
  readonly cachedLookupsPerSecond: number;
}

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined, error: () => undefined, child: () => quiet } as unknown as Logger;

function authorityOn(store: SqlAuthorityStore, key: SoftwareSigningKey): Authority {
  return new Authority({
    store, identifier: 'Iauthority',
    project: { name: 'bench', route: '/ip4/127.0.0.1/tcp/4000', authorityChangeHistory: new Uint8Array([1]) },
    signCredential: async (subject, attributes, ttlMs) => {
      // A nonce: two issuances to one member in the same millisecond are two credentials (their hashes are keys).
      const body = { subject, attributes, createdAt: Date.now(), expiresAt: Date.now() + ttlMs, nonce: randomBytes(8) };
      return { credential: encodeDeterministic({ body, signature: key.signDigest(digestOf(body)).bytes }), attestation: new Uint8Array(0), expiresAt: body.expiresAt };
    },
    signDigest: async (digest) => key.signDigest(digest),
  });
}

/** Issues credentials through `authorities` (16 in flight each) for `durationMs`; per second. */
async function issueRate(authorities: readonly Authority[], members: number, durationMs: number): Promise<number> {
  let issued = 0;
  const start = performance.now();
  const deadline = start + durationMs;
  const lanes = 16;
  await Promise.all(authorities.flatMap((authority, a) => Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane + a * lanes; performance.now() < deadline; i += lanes) {
      await authority.issueCredentialFor(`Imember${i % members}`);
      issued++;
    }
  })));
  return Math.round(issued / ((performance.now() - start) / 1000));
}

/** Starts a throw-away Postgres, measures, stops it. */
export async function benchReplicas(durationMs = 2000): Promise<ReplicasBench> {
  const server = await startTestPostgres();
  const stores: SqlAuthorityStore[] = [];
  try {
    const url = await server.createDatabase('replicas');
    const key = SoftwareSigningKey.generate('ed25519');
    for (let i = 0; i < 3; i++) stores.push(await openPostgresAuthorityStore(url));
    const authorities = stores.map((store) => authorityOn(store, key));
    await authorities[0]!.bootstrap('Iadmin');
    const members = 100;
    for (let i = 0; i < members; i++) await authorities[0]!.addMember('Iadmin', `Imember${i}`, { attributes: { component: 'db', n: String(i) } });
    const oneReplica = await issueRate(authorities.slice(0, 1), members, durationMs);
    const threeReplicas = await issueRate(authorities, members, durationMs);

    const pool = await openReplicaPool({ url, maxConnections: 8 });
    try {
      await new PostgresReplicaRegistry(pool).register({ id: 'r1', route: '/ip4/127.0.0.1/tcp/4000', identifier: 'Iauthority' });
      const names = 1000;
      const make = (cache: boolean): PostgresRelayDirectory => new PostgresRelayDirectory({ replica: 'r1', pool, listen: { connectionString: url }, cache, logger: quiet, renewMs: 60_000 });
      const writer = make(false);
      for (let i = 0; i < names; i++) await writer.claim(`relay${i}`, `Iowner${i}`);
      const lookupRate = async (directory: PostgresRelayDirectory): Promise<number> => {
        let done = 0;
        const start = performance.now();
        const deadline = start + durationMs;
        await Promise.all(Array.from({ length: 8 }, async (_, lane) => {
          for (let i = lane; performance.now() < deadline; i += 8) {
            await directory.lookup(`relay${i % names}`);
            done++;
          }
        }));
        return Math.round(done / ((performance.now() - start) / 1000));
      };
      const lookupsPerSecond = await lookupRate(writer);
      const cached = make(true);
      for (let i = 0; i < names; i++) await cached.lookup(`relay${i}`); // warm: every name cached once
      const cachedLookupsPerSecond = await lookupRate(cached);
      return { oneReplica, threeReplicas, ratio: Number((threeReplicas / oneReplica).toFixed(2)), lookupsPerSecond, cachedLookupsPerSecond };
    } finally {
      await pool.end();
    }
  } finally {
    for (const store of stores) await store.close().catch(() => undefined);
    await server.stop();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchReplicas())}\n`);
}
