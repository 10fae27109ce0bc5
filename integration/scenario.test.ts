import { execFile, spawnSync } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { startTestPostgres, type TestPostgres } from './support/postgres.js';
import { freePort, probeClosed, Scenario, setUpScenario, startCountingProxy, waitFor, type CountingProxy, type ScenarioSetup } from './support/scenario.js';

const ROWS = [[1, 'alice', '1200.50'], [2, 'bob', '310.00'], [3, 'carol', '98000.00']];
const QUERY = 'SELECT id, owner, balance FROM accounts ORDER BY id';
const hasPsql = spawnSync('psql', ['--version']).status === 0;

/** One SELECT through the inlet with the `pg` client; the rows as [id, owner, balance]. */
async function selectThrough(port: number, timeoutMs = 15_000): Promise<unknown[][]> {
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

interface Denial { resource?: unknown; action?: unknown; subject?: unknown; reason?: unknown }

describe('the Bank Corp / Analysis Corp scenario with real PostgreSQL, every command a separate process', () => {
  const s = Scenario.create({ prefix: 'sym-scn-' });
  let db: TestPostgres | undefined;
  let proxy: CountingProxy | undefined;
  let setup: ScenarioSetup;
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    assertBuilt();
    db = await startTestPostgres();
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    await admin.query(`CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric(12,2));
      INSERT INTO accounts VALUES (1, 'alice', 1200.50), (2, 'bob', 310.00), (3, 'carol', 98000.00)`);
    await admin.end();
    proxy = await startCountingProxy(Number(new URL(db.url).port));
    const t0 = Date.now();
    setup = await setUpScenario(s, { target: `127.0.0.1:${proxy.port}` });
    measured.setupMs = Date.now() - t0;
  }, 120_000);

  afterAll(async () => {
    await s.cleanup();
    await proxy?.close();
    await db?.stop();
    console.log(`scenario measurements: ${JSON.stringify({ ...measured, steps: setup?.timings })}`);
  }, 60_000);

  it('an unmodified pg client runs SELECTs through the inlet, relay and outlet', async () => {
    const t0 = Date.now();
    expect(await selectThrough(setup.inletPort, 20_000)).toEqual(ROWS);
    measured.firstQueryMs = Date.now() - t0;
    const t1 = Date.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => selectThrough(setup.inletPort)));
    measured.fiveParallelQueriesMs = Date.now() - t1;
    for (const rows of results) expect(rows).toEqual(ROWS);
    expect(proxy!.connections).toBeGreaterThanOrEqual(6);
  });

  it.runIf(hasPsql)('psql runs the same query through the inlet', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile('psql', ['-h', '127.0.0.1', '-p', String(setup.inletPort), '-U', 'postgres', '-d', 'postgres', '-At', '-F', '|', '-c', QUERY], {
        env: { ...process.env, PGCONNECT_TIMEOUT: '15' }, timeout: 30_000,
      }, (err, stdout, stderr) => (err ? reject(new Error(`psql failed: ${stderr || err.message}`)) : resolve(stdout)));
    });
    expect(out.trim().split('\n')).toEqual(ROWS.map((r) => r.join('|')));
  });

  it('an outlet whose --allow does not match the inlet side: the connection is closed, nothing reaches the server, the denial is listed at the bank node', async () => {
    await s.ok('bank', ['tcp-outlet', 'delete', 'outlet']);
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${proxy!.port}`, '--allow', 'subject.component == "nobody"']);
    try {
      const before = { connections: proxy!.connections, bytes: proxy!.bytesFromClients };
      const [closed, query] = await Promise.all([
        probeClosed(setup.inletPort, Buffer.from('not a postgres startup packet, and it must not arrive')),
        selectThrough(setup.inletPort, 20_000).then(() => 'answered', () => 'refused'),
      ]);
      measured.outletDenialCloseMs = closed.ms;
      expect(closed.received).toBe(0);
      expect(query).toBe('refused');
      expect({ connections: proxy!.connections, bytes: proxy!.bytesFromClients }).toEqual(before);
      const analysisId = (await s.json<{ identifier: string }>('analysis', ['identity', 'show'])).identifier;
      const denial = await waitFor('the outlet denial in policy denials', async () => {
        const r = await s.json<{ denials: Denial[] }>('bank', ['policy', 'denials', '--at', setup.nodes.bank, '--limit', '100']);
        return r.denials.find((d) => JSON.stringify(d).includes('outlet') && JSON.stringify(d).includes(analysisId));
      }, { timeoutMs: 10_000 });
      expect(JSON.stringify(denial)).toContain('nobody');
    } finally {
      await s.ok('bank', ['tcp-outlet', 'delete', 'outlet']);
      await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${proxy!.port}`, '--allow', 'subject.component == "analysis"']);
    }
    expect(await waitFor('queries to work again', () => selectThrough(setup.inletPort, 5_000))).toEqual(ROWS);
  });

  it('an inlet whose --allow does not match the outlet node: the connection is closed, no client byte reaches the server, the denial is listed at the analysis node', async () => {
    const deniedPort = await freePort();
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${deniedPort}`, '--via', 'postgres', '--allow', 'subject.component == "nobody"']);
    try {
      const before = { connections: proxy!.connections, bytes: proxy!.bytesFromClients };
      const [closed, query] = await Promise.all([
        probeClosed(deniedPort, Buffer.from('not a postgres startup packet, and it must not arrive')),
        selectThrough(deniedPort, 20_000).then(() => 'answered', () => 'refused'),
      ]);
      measured.inletDenialCloseMs = closed.ms;
      expect(closed.received).toBe(0);
      expect(query).toBe('refused');
      // The outlet connects to its target before answering the inlet's ping, so the server may
      // see a connection; not one byte of the client's data may reach it.
      expect(proxy!.bytesFromClients).toBe(before.bytes);
      measured.inletDenialServerConnections = proxy!.connections - before.connections;
      const bankId = (await s.json<{ identifier: string }>('bank', ['identity', 'show'])).identifier;
      const denial = await waitFor('the inlet denial in policy denials', async () => {
        const r = await s.json<{ denials: Denial[] }>('analysis', ['policy', 'denials', '--at', setup.nodes.analysis, '--limit', '100']);
        return r.denials.find((d) => JSON.stringify(d).includes('inlet') && JSON.stringify(d).includes(bankId));
      }, { timeoutMs: 10_000 });
      expect(JSON.stringify(denial)).toContain('nobody');
    } finally {
      await s.ok('analysis', ['tcp-inlet', 'delete', `127.0.0.1:${deniedPort}`]);
    }
  });

  it('restarting the project node: an in-flight connection fails cleanly, new connections work again within seconds without operator action', async () => {
    // No client-side query timeout: the portal itself must end the in-flight connection.
    const inflight = new pg.Client({ host: '127.0.0.1', port: setup.inletPort, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 15_000 });
    const ended = new Promise<void>((resolve) => { inflight.on('end', () => resolve()); inflight.on('error', () => resolve()); });
    await inflight.connect();
    expect((await inflight.query(QUERY)).rows).toHaveLength(3);

    await s.ok('admin', ['node', 'stop', setup.projectNode]);
    const t0 = Date.now();
    const failed = await Promise.race([
      ended.then(() => 'ended'),
      inflight.query(QUERY).then(() => 'answered', () => 'failed'),
      new Promise<string>((r) => setTimeout(() => r('hung'), 10_000)),
    ]);
    measured.inflightFailMs = Date.now() - t0;
    // The channels under the session close when the project node goes away; the portal
    // then closes the client connection.
    expect(failed, 'the in-flight connection is closed by the portal within 10 s').not.toBe('hung');
    expect(failed).not.toBe('answered');
    await Promise.race([inflight.end().catch(() => undefined), new Promise((r) => setTimeout(r, 1_000))]);

    await s.ok('admin', ['node', 'start', setup.projectNode]);
    const t1 = Date.now();
    const rows = await waitFor('a query through the portal after the project node restart', () => selectThrough(setup.inletPort, 3_000), { timeoutMs: 20_000, intervalMs: 200 });
    measured.recoveryAfterRestartMs = Date.now() - t1;
    expect(rows).toEqual(ROWS);
  }, 90_000);
});
