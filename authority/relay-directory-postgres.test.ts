import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import type { Logger } from '../core/logger.js';
import type { RelayLocation } from '../core/relay/relay-directory.js';
import { checkDatabaseUrl, openReplicaPool, readPasswordFile } from './replica-database.js';
import { PostgresRelayDirectory } from './relay-directory-postgres.js';
import { PostgresReplicaRegistry } from './replica-registry-postgres.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined, error: () => undefined, child: () => quiet } as unknown as Logger;

let server: TestPostgres;
let url: string;
const pools: pg.Pool[] = [];
const directories: PostgresRelayDirectory[] = [];
beforeAll(async () => {
  server = await startTestPostgres();
  url = await server.createDatabase('directory');
}, 60_000);
afterAll(async () => {
  for (const d of directories) await d.stop();
  for (const p of pools) await p.end().catch(() => undefined);
  await server?.stop();
});

/** Replica `id` at `route`: registered, with its own pool and directory (as each replica process has). */
async function replica(id: string, route: string, options: { leaseMs?: number; cache?: boolean } = {}): Promise<PostgresRelayDirectory> {
  const pool = await openReplicaPool({ url });
  pools.push(pool);
  await new PostgresReplicaRegistry(pool).register({ id, route, identifier: 'Iauthority' });
  const directory = new PostgresRelayDirectory({ replica: id, pool, listen: { connectionString: url }, logger: quiet, renewMs: 60_000, ...options });
  await directory.start();
  directories.push(directory);
  return directory;
}

describe('relay directory on Postgres', () => {
  it('of 20 concurrent claims of one name by different owners at 4 replicas exactly one wins; the holder is found by every replica', async () => {
    const replicas = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((id, i) => replica(id, `/ip4/127.0.0.1/tcp/${5001 + i}`)));
    const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 4]!.claim('race', `Iowner${i}`)));
    const winners = claims.map((c, i) => (c.claimed ? i : -1)).filter((i) => i >= 0);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    for (const c of claims) if (!c.claimed) expect(c.holder).toBe(`Iowner${winner}`);
    for (const r of replicas) expect(await r.lookup('race')).toEqual({ replica: `r${(winner % 4) + 1}`, route: `/ip4/127.0.0.1/tcp/${5001 + (winner % 4)}` });
  });

  it('the same owner moves its relay to another replica at once; the others learn it by notification', async () => {
    const a = await replica('move-a', '/ip4/127.0.0.1/tcp/6001');
    const b = await replica('move-b', '/ip4/127.0.0.1/tcp/6002');
    const c = await replica('move-c', '/ip4/127.0.0.1/tcp/6003');
    expect(await a.claim('moving', 'Ibank')).toEqual({ claimed: true });
    expect(await c.lookup('moving')).toMatchObject({ replica: 'move-a' }); // now cached at c
    const seen = new Promise<RelayLocation | undefined>((resolve) => {
      const off = c.onChange((name, location) => { if (name === 'moving' && location?.replica === 'move-b') { off(); resolve(location); } });
    });
    expect(await b.claim('moving', 'Iother')).toEqual({ claimed: false, holder: 'Ibank' });
    expect(await b.claim('moving', 'Ibank')).toEqual({ claimed: true });
    expect(await seen).toMatchObject({ replica: 'move-b' });
    expect(await c.lookup('moving')).toMatchObject({ replica: 'move-b' });
  });

  it('a lease its replica stops renewing expires and the name is free; renewal keeps it; release frees it at once', async () => {
    const a = await replica('lease-a', '/ip4/127.0.0.1/tcp/7001', { leaseMs: 1_500, cache: false });
    const b = await replica('lease-b', '/ip4/127.0.0.1/tcp/7002', { leaseMs: 1_500, cache: false });
    expect(await a.claim('kept', 'Ione')).toEqual({ claimed: true });
    expect(await a.claim('dropped', 'Ione')).toEqual({ claimed: true });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 500));
      expect(await a.renew()).toBeGreaterThanOrEqual(2);
    }
    expect(await b.claim('kept', 'Itwo')).toMatchObject({ claimed: false });
    await a.release('dropped');
    expect(await b.lookup('dropped')).toBeUndefined();
    expect(await b.claim('dropped', 'Itwo')).toEqual({ claimed: true });
    await new Promise((r) => setTimeout(r, 2_000)); // a stopped renewing
    expect(await b.lookup('kept')).toBeUndefined();
    expect(await b.claim('kept', 'Itwo')).toEqual({ claimed: true });
  });

  it('replica list: health from heartbeats, relays from live leases; remove deletes a replica and its leases', async () => {
    const pool = await openReplicaPool({ url });
    pools.push(pool);
    const registry = new PostgresReplicaRegistry(pool);
    const d = await replica('listed', '/ip4/127.0.0.1/tcp/8001');
    await d.claim('listed-relay', 'Ix');
    await registry.heartbeat('listed', { relays: 1, members: 3 });
    const row = (await registry.list()).find((r) => r.id === 'listed')!;
    expect(row).toMatchObject({ route: '/ip4/127.0.0.1/tcp/8001', health: 'healthy', relays: 1, members: 3 });
    await expect(registry.register({ id: 'listed', route: '/ip4/127.0.0.1/tcp/9999', identifier: 'Iauthority' })).rejects.toThrow(/another live replica/);
    expect(await registry.remove('listed')).toBe(true);
    expect((await registry.list()).some((r) => r.id === 'listed')).toBe(false);
    expect(await d.lookup('listed-relay')).toBeUndefined();
  });
});

describe('database passwords', () => {
  it('a URL with a password is refused with a clear error that does not repeat it', () => {
    expect(() => checkDatabaseUrl('postgres://bank:s3cret@db/bank')).toThrow(/must not contain a password: give it in PGPASSWORD, a libpq passfile/);
    expect(() => checkDatabaseUrl('postgres://bank@db/bank?password=s3cret')).toThrow(/must not contain a password/);
    try { checkDatabaseUrl('postgres://bank:s3cret@db/bank'); } catch (e) { expect((e as Error).message).not.toContain('s3cret'); }
    expect(checkDatabaseUrl('postgres://bank@db/bank')).toBe('postgres://bank@db/bank');
  });

  it('a password file must be private', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sym-pw-'));
    try {
      const file = join(dir, 'pw');
      writeFileSync(file, 's3cret\n', { mode: 0o644 });
      expect(() => readPasswordFile(file)).toThrow(/may be read by others.*chmod 600/);
      writeFileSync(join(dir, 'ok'), 's3cret\n', { mode: 0o600 });
      expect(readPasswordFile(join(dir, 'ok'))).toBe('s3cret');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
