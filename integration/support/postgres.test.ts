import pg from 'pg';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startTestPostgres } from './postgres.js';

describe('startTestPostgres', () => {
  it('starts a real server on loopback, creates databases and cleans up', async () => {
    const server = await startTestPostgres();
    try {
      expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      const url = await server.createDatabase('probe');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const { rows } = await client.query<{ one: number }>('SELECT 1 AS one');
      await client.end();
      expect(rows[0]?.one).toBe(1);
    } finally {
      await server.stop();
    }
    const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toThrow();
    expect(existsSync(server.dir)).toBe(false);
  });
});
