import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPostgres, type TestPostgres } from '../integration/support/postgres.js';
import type { AuthorityStore } from './authority-store.js';
import { openPostgresAuthorityStore } from './authority-store-postgres.js';
import { openSqliteAuthorityStore } from './authority-store-sqlite.js';
import { LATEST_SCHEMA_VERSION } from './schema-migrations.js';
import { SCHEMA } from './sql-driver.js';

const V1_TICKET = `INSERT INTO tickets (hash, attributes, usage_count, uses_left, expires_at, relays, enroller, created_by, created_at)
  VALUES ('${'ab'.repeat(32)}', '{"component":"db"}', 1, 1, ${Date.now() + 600_000}, '["postgres"]', 1, 'Iadmin', ${Date.now()})`;
const V1_MEMBER = `INSERT INTO members (identifier, attributes, role, added_by, added_at) VALUES ('Ienroller', '{}', 'enroller', 'Iadmin', 1)`;

/** Checks a store opened on a version 1 database with one ticket and one enroller. */
async function expectMigrated(store: AuthorityStore): Promise<void> {
  expect(await store.withTransaction((tx) => tx.getTicket('ab'.repeat(32)))).toMatchObject({ createdBy: 'Iadmin', enroller: true, relays: ['postgres'] });
  expect((await store.getMember('Ienroller'))?.grants).toBeUndefined();
  await store.withTransaction((tx) => tx.putRevocation({ identifier: 'Ix', kind: 'suspended', revokedAt: 5, until: 0, actor: 'Iadmin' }));
  expect(await store.listRevocations(Date.now())).toEqual([{ identifier: 'Ix', kind: 'suspended', revokedAt: 5, until: 0, actor: 'Iadmin' }]);
}

describe('authority schema migrations', () => {
  it('SQLite: a version 1 database is migrated in place, and a newer one is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'symbolon-migrate-'));
    try {
      const path = join(dir, 'authority.db');
      const db = new Database(path);
      for (const ddl of SCHEMA) db.exec(ddl);
      db.exec(V1_TICKET);
      db.exec(V1_MEMBER);
      db.close();
      const store = await openSqliteAuthorityStore(path);
      await expectMigrated(store);
      await store.close();
      const raw = new Database(path);
      expect(raw.prepare(`SELECT value FROM authority_meta WHERE key = 'schema_version'`).get()).toEqual({ value: String(LATEST_SCHEMA_VERSION) });
      raw.exec(`UPDATE authority_meta SET value = '${LATEST_SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
      raw.close();
      await expect(openSqliteAuthorityStore(path)).rejects.toThrow(new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1} is newer than this program knows`));
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  describe('PostgreSQL', () => {
    let server: TestPostgres;
    beforeAll(async () => { server = await startTestPostgres(); }, 60_000);
    afterAll(async () => { await server?.stop(); });

    it('a version 1 database is migrated once by two replicas opening it together, and a newer one is refused', async () => {
      const url = await server.createDatabase('migrate_v1');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const ddl of SCHEMA) await client.query(ddl);
        await client.query(V1_TICKET);
        await client.query(V1_MEMBER);
        const [a, b] = await Promise.all([openPostgresAuthorityStore(url), openPostgresAuthorityStore(url)]);
        await expectMigrated(a!);
        expect(await b!.listRevocations(Date.now())).toHaveLength(1);
        await Promise.all([a!.close(), b!.close()]);
        expect((await client.query(`SELECT value FROM authority_meta WHERE key = 'schema_version'`)).rows).toEqual([{ value: String(LATEST_SCHEMA_VERSION) }]);
        await client.query(`UPDATE authority_meta SET value = '${LATEST_SCHEMA_VERSION + 1}' WHERE key = 'schema_version'`);
        await expect(openPostgresAuthorityStore(url)).rejects.toThrow(/newer than this program knows/);
      } finally { await client.end(); }
    }, 60_000);
  });
});
