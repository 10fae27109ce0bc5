import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, runCli, tempHome } from '../support/cli.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { freePort, Scenario, waitFor } from '../support/scenario.js';

const ROWS = [[1, 'alice', '1200.50'], [2, 'bob', '310.00'], [3, 'carol', '98000.00']];
const QUERY = 'SELECT id, owner, balance FROM accounts ORDER BY id';
const hasPsql = spawnSync('psql', ['--version']).status === 0;

/** One SELECT through the inlet with the `pg` client; the rows as [id, owner, balance]. */
async function selectThrough(port: number, timeoutMs = 10_000): Promise<unknown[][]> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query(QUERY);
    return r.rows.map((row: { id: number; owner: string; balance: string }) => [row.id, row.owner, row.balance]);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface ReplicaRow { id: string; route: string; health: string; relays: number; members: number; self: boolean }

/**
 * Three project node replicas on one real PostgreSQL, every command a separate process:
 * the relay registered at replica A, the inlet's node connected to replica B, replica A
 * killed with SIGKILL while queries run, tickets redeemed concurrently through two
 * replicas, and the audit log, written by all of them, verified as one chain.
 */
describe('project node replicas on one Postgres', () => {
  const s = Scenario.create({ prefix: 'sym-replicas-' });
  const extraHomes: string[] = [];
  let db: TestPostgres | undefined;
  let dbUrl = '';
  let directory: pg.Client | undefined;
  const routes: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  let inletPort = 0;
  let replicaAPid = 0;

  beforeAll(async () => {
    assertBuilt();
    db = await startTestPostgres();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2));
      INSERT INTO accounts VALUES (1, 'alice', 1200.50), (2, 'bob', 310.00), (3, 'carol', 98000.00)`);
    await admin.end();
    dbUrl = await db.createDatabase('authority');
    const [pa, pb, pc] = [await freePort(), await freePort(), await freePort()];
    routes.a = `/ip4/127.0.0.1/tcp/${pa}`;
    routes.b = `/ip4/127.0.0.1/tcp/${pb}`;
    routes.c = `/ip4/127.0.0.1/tcp/${pc}`;
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${pa}`, '--database', dbUrl]);
    await s.ok('admin', ['project', 'replica', 'add', '--database', dbUrl, '--listen', `127.0.0.1:${pb}`, '--name', 'bank-b']);
    await s.ok('admin', ['project', 'replica', 'add', '--database', dbUrl, '--listen', `127.0.0.1:${pc}`, '--name', 'bank-c']);
    replicaAPid = Number(readFileSync(join(s.homes.admin, 'nodes', 'bank', 'node.pid'), 'utf8').trim());
    // Tickets issued now carry the three replicas' routes.
    const bankTicket = s.writeFile('bank.ticket', (await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres'])).trim());
    const analysisTicket = s.writeFile('analysis.ticket', (await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis'])).trim());
    await s.ok('bank', ['project', 'enroll', bankTicket, '--replica-route', routes.a]);
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${new URL(db.url).port}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('bank', ['relay', 'create', 'postgres']);
    await s.ok('analysis', ['project', 'enroll', analysisTicket, '--replica-route', routes.b]);
    inletPort = await freePort();
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
    directory = new pg.Client({ connectionString: dbUrl });
    await directory.connect();
  }, 150_000);

  afterAll(async () => {
    await directory?.end().catch(() => undefined);
    await s.cleanup();
    for (const home of extraHomes) await cleanupHome(home);
    await db?.stop();
  }, 60_000);

  const holderOf = async (name: string): Promise<string | undefined> => {
    const r = await directory!.query(`SELECT replica FROM relay_leases WHERE name = $1 AND expires_at > (extract(epoch from clock_timestamp()) * 1000)::bigint`, [name]);
    return (r.rows[0] as { replica?: string } | undefined)?.replica;
  };

  it('three replicas are listed healthy; the relay is held at A and the inlet side is connected to B', async () => {
    let last: unknown;
    const list = await waitFor('three healthy replicas with the relay at A and a member at B', async () => {
      const l = await s.json<{ replicas: ReplicaRow[] }>('admin', ['project', 'replica', 'list']);
      last = l;
      const byId = new Map(l.replicas.map((r) => [r.id, r]));
      return l.replicas.length === 3 && l.replicas.every((r) => r.health === 'healthy') && (byId.get('bank')?.relays ?? 0) >= 1 && (byId.get('bank-b')?.members ?? 0) >= 1 ? l : undefined;
    }, { timeoutMs: 60_000, intervalMs: 1_000 }).catch((error: unknown) => { throw new Error(`${(error as Error).message}; last list: ${JSON.stringify(last)}`); });
    expect(list.replicas.map((r) => r.route).sort()).toEqual([routes.a, routes.b, routes.c].sort());
    expect(await holderOf('postgres')).toBe('bank');
    const show = await s.json<{ routes: string[] }>('analysis', ['project', 'show']);
    expect(show.routes[0]).toBe(routes.b);
    expect(show.routes.sort()).toEqual([routes.a, routes.b, routes.c].sort());
    // No password ever reaches a saved configuration: the URL has none, and one with a password is refused.
    const refused = await s.run('admin', ['project', 'replica', 'add', '--database', dbUrl.replace('postgres@', 'postgres:hunter2@'), '--listen', '127.0.0.1:1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/must not contain a password.*PGPASSWORD/);
    expect(refused.stderr).not.toContain('hunter2');
  }, 120_000);

  it('queries run through the inlet at B, forwarded to the relay at A (pg client and psql)', async () => {
    expect(await waitFor('a first query through B to A', async () => selectThrough(inletPort).catch(() => undefined), { timeoutMs: 30_000 })).toEqual(ROWS);
    const results = await Promise.all(Array.from({ length: 4 }, () => selectThrough(inletPort)));
    for (const rows of results) expect(rows).toEqual(ROWS);
    if (hasPsql) {
      const out = await new Promise<string>((resolve, reject) => {
        execFile('psql', ['-h', '127.0.0.1', '-p', String(inletPort), '-U', 'postgres', '-d', 'postgres', '-At', '-F', '|', '-c', QUERY], {
          env: { ...process.env, PGCONNECT_TIMEOUT: '15' }, timeout: 30_000,
        }, (err, stdout, stderr) => (err ? reject(new Error(`psql failed: ${stderr || err.message}`)) : resolve(stdout)));
      });
      expect(out.trim().split('\n')).toEqual(ROWS.map((r) => r.join('|')));
    }
    expect(await holderOf('postgres')).toBe('bank');
  }, 60_000);

  it('kill -9 of replica A while queries run: the relay re-registers through B or C within 10 s and new connections work', async () => {
    expect(replicaAPid).toBeGreaterThan(0);
    let running = true;
    let ok = 0;
    const traffic = (async () => {
      while (running) {
        try {
          if (JSON.stringify(await selectThrough(inletPort, 3_000)) === JSON.stringify(ROWS)) ok++;
        } catch { /* connections through the lost replica fail until the relay moved */ }
      }
    })();
    await waitFor('queries running', () => (ok >= 2 ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    const killedAt = Date.now();
    process.kill(replicaAPid, 'SIGKILL');
    const holder = await waitFor('the relay at another replica', async () => {
      const h = await holderOf('postgres');
      return h !== undefined && h !== 'bank' ? h : undefined;
    }, { timeoutMs: 15_000, intervalMs: 100 });
    const movedMs = Date.now() - killedAt;
    if (process.env.REPLICAS_DEBUG) {
      const { readdirSync } = await import('node:fs');
      for (const [actor, node] of [['bank', readdirSync(join(s.homes.bank, 'nodes'))[0]!], ['admin', 'bank-b'], ['admin', 'bank-c']] as const) {
        const log = readFileSync(join(s.homes[actor], 'nodes', node, 'node.log'), 'utf8').split('\n').filter((l) => l.includes('"time"') && Number(/"time":(\d+)/.exec(l)?.[1]) >= killedAt - 2000);
        console.log(`--- ${actor}/${node} (killed at ${killedAt})\n${log.join('\n')}`);
      }
    }
    expect(['bank-b', 'bank-c']).toContain(holder);
    expect(movedMs).toBeLessThan(10_000);
    const before = ok;
    await waitFor('new queries after the failover', () => (ok >= before + 2 ? true : undefined), { timeoutMs: 30_000, intervalMs: 100 });
    running = false;
    await traffic;
    expect(await selectThrough(inletPort)).toEqual(ROWS);
    console.log(`replica failover: relay moved to ${holder} after ${movedMs} ms; queries working again after ${Date.now() - killedAt} ms`);
  }, 90_000);

  it('a single-use ticket redeemed concurrently through two replicas is redeemed exactly once', async () => {
    // The first admin request after A's loss: the admin's node moves to another replica by
    // itself (its channel to A closed with A's connections), no retry needed.
    const askedAt = Date.now();
    const issued = (await s.ok('admin', ['project', 'ticket', '--attribute', 'component=extra'])).trim();
    console.log(`first admin request after the loss of replica A: ${Date.now() - askedAt} ms`);
    const ticket = s.writeFile('shared.ticket', issued);
    const homes = [tempHome('sym-replicas-x-'), tempHome('sym-replicas-y-')];
    extraHomes.push(...homes);
    const results = await Promise.all(homes.map((home, i) => runCli(home, ['project', 'enroll', ticket, '--replica-route', i === 0 ? routes.b : routes.c], { timeoutMs: 60_000 })));
    const succeeded = results.filter((r) => r.code === 0);
    expect(succeeded.length, results.map((r) => r.stderr).join('\n')).toBe(1);
    expect(results.find((r) => r.code !== 0)!.stderr).toMatch(/ticket/i);
    // Bank, analysis and the one winner redeemed tickets; the loser's refusal is audited too.
    const redeemed = await directory!.query(`SELECT count(*)::int AS n FROM audit_records WHERE type = 'ticket.redeemed'`);
    expect(redeemed.rows[0].n).toBe(3);
  }, 90_000);

  it('the audit log written by all replicas exports and verifies as one chain', async () => {
    const file = join(s.root, 'audit.jsonl');
    await s.ok('admin', ['audit', 'export', '--output', file], { timeoutMs: 60_000 });
    const authorityFile = join(s.root, 'authority.json');
    writeFileSync(authorityFile, await s.ok('admin', ['project', 'show', 'bank', '--identity', '--json']));
    const verified = await s.json<{ ok: boolean; records: number }>('admin', ['audit', 'verify', file, '--authority', authorityFile]);
    expect(verified.ok).toBe(true);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind?: string; type?: string });
    const records = await directory!.query(`SELECT count(*)::int AS n FROM audit_records`);
    expect(lines.filter((l) => l.kind === 'record').length).toBe(records.rows[0].n);
    expect(lines.filter((l) => l.type === 'ticket.redeemed').length).toBe(3);
  }, 60_000);

  it('members learn a replica added after they enrolled (a lost one drops out) and fail over to it with no operator action', async () => {
    const routeD = `/ip4/127.0.0.1/tcp/${await freePort()}`;
    const showRoutes = async (actor: 'bank' | 'analysis'): Promise<string[]> => (await s.json<{ routes: string[] }>(actor, ['project', 'show'])).routes;
    // Both members' tickets named A, B and C only.
    for (const actor of ['bank', 'analysis'] as const) expect(await showRoutes(actor)).not.toContain(routeD);
    await s.ok('admin', ['project', 'replica', 'add', '--database', dbUrl, '--listen', `127.0.0.1:${routeD.split('/').at(-1)}`, '--name', 'bank-d']);
    const addedAt = Date.now();
    for (const actor of ['bank', 'analysis'] as const) {
      let last: string[] = [];
      await waitFor(`${actor}'s project record to list replica D and no longer the lost A`, async () => {
        last = await showRoutes(actor);
        return last.includes(routeD) && !last.includes(routes.a) ? last : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 }).catch((error: unknown) => { throw new Error(`${(error as Error).message}; last routes: ${JSON.stringify(last)}`); });
    }
    const learnedMs = Date.now() - addedAt;
    // Every replica the members knew from their tickets goes: only D, learned later, remains.
    for (const node of ['bank-b', 'bank-c']) process.kill(Number(readFileSync(join(s.homes.admin, 'nodes', node, 'node.pid'), 'utf8').trim()), 'SIGKILL');
    const killedAt = Date.now();
    await waitFor('the relay held by D', async () => ((await holderOf('postgres')) === 'bank-d' ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 });
    const movedMs = Date.now() - killedAt;
    expect(await waitFor('a query through the inlet via D', async () => selectThrough(inletPort, 3_000).catch(() => undefined), { timeoutMs: 30_000, intervalMs: 200 })).toEqual(ROWS);
    console.log(`route refresh: members knew replica D ${learnedMs} ms after it was added; after B and C were killed the relay was at D after ${movedMs} ms, queries worked after ${Date.now() - killedAt} ms`);
  }, 90_000);
});
