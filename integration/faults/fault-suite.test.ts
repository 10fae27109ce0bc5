/**
 * The fault suite: every process of the scenario (project node, the outlet's node, the
 * inlet's node, Postgres, the server behind the outlet) is killed (SIGKILL) and frozen
 * (SIGSTOP for longer than the channel keep-alive bounds, then SIGCONT) while a
 * byte-checked download, a byte-checked upload and a pgbench run go through the portals.
 * Real node processes started by the real CLI, a real Postgres (the authority's database
 * and the pgbench target), the server as its own process. Figures and bounds:
 * docs/operations.md "Faults".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, assertBuilt } from '../support/cli.js';
import { startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { freePort, Scenario, setUpScenario, waitFor, type Actor, type ScenarioSetup } from '../support/scenario.js';
import { initPgbench, pgbenchFailures, startPgbench } from './support/pgbench-run.js';
import { startDownload, startUpload } from './support/stream-client.js';
import { StreamPattern } from './support/stream-pattern.js';
import { StreamServerProcess } from './support/stream-server.js';
import type { ServerEvent } from './support/stream-server-main.js';

const MiB = 1024 * 1024;

/**
 * A frozen node is noticed by the keep-alive of the channels to it: 4 s for an end-to-end
 * channel, 6 s for a channel to the project node or a channel a node accepted
 * (docs/operations.md). A timeout is checked once per keep-alive period (2 s), so a silent
 * peer is noticed 6-8 s into a freeze: each freeze lasts longer than that, with slack.
 */
const NODE_FREEZE_MS = 10_000;
/** The server's and Postgres's freezes: no keep-alive is involved, only waiting. */
const FREEZE_MS = 7_000;
/** A session cut by a killed node whose connections close ends within this (docs/operations.md). */
const KILL_BOUND_MS = 3_000;
/** A session through a silent node (frozen, or killed beyond a relay) ends within this: a 6 s keep-alive timeout, its 2 s check period, slack for a loaded machine. */
const SILENT_BOUND_MS = 11_000;
/** Service is back within this after a restarted node's `node start` returned, or a frozen process resumed. */
const RECOVERY_BOUND_MS = 5_000;
/**
 * After a frozen node resumes, a session opened in that instant may wait out its channel's
 * 5 s handshake (its first message forwarded into a channel the other side had just given
 * up); the next one works.
 */
const FROZEN_RECOVERY_BOUND_MS = 8_000;

/**
 * Per role: how soon the client (at the inlet) and the server (at the outlet) see a cut
 * session end after the kill or the start of the freeze. `undefined`: that side's peer is
 * the killed process itself, so it sees whatever the kernel sent for it (a FIN when nothing
 * was left unread, as with any killed peer).
 */
const BOUNDS: Record<'kill' | 'freeze', Record<'outlet' | 'project' | 'inlet', { client?: number; server?: number }>> = {
  kill: {
    outlet: { client: KILL_BOUND_MS },
    project: { client: KILL_BOUND_MS, server: KILL_BOUND_MS },
    inlet: { server: SILENT_BOUND_MS },
  },
  freeze: {
    // Held by the frozen node: the server's socket ends when it runs again.
    outlet: { client: SILENT_BOUND_MS, server: NODE_FREEZE_MS + KILL_BOUND_MS },
    project: { client: SILENT_BOUND_MS, server: SILENT_BOUND_MS },
    // The clients' sockets are held by the frozen node: they end when it runs again.
    inlet: { client: NODE_FREEZE_MS + KILL_BOUND_MS, server: SILENT_BOUND_MS },
  },
};

/** The stable part of a home's configuration and the project's membership, for "identical after restart". */
interface StateSnapshot {
  readonly relays: string[];
  readonly outlets: string[];
  readonly inlets: string[];
  readonly members: string[];
}

describe('fault suite: every process killed and frozen under byte-checked transfers and pgbench', () => {
  const s = Scenario.create({ prefix: 'sym-faults-' });
  const seed = `faults-${process.pid}`;
  const pattern = new StreamPattern(seed);
  let pg: TestPostgres | undefined;
  let server: StreamServerProcess | undefined;
  let setup: ScenarioSetup;
  let pgInletPort = 0;
  let pgPort = 0;
  let baseline: StateSnapshot;
  let nextId = 1;
  const measured: Record<string, unknown> = {};

  const nodePid = (actor: Actor, name: string): number => {
    const pid = Number(readFileSync(join(s.homes[actor], 'nodes', name, 'node.pid'), 'utf8').trim());
    if (!alive(pid)) throw new Error(`node ${name} of ${actor} is not running`);
    return pid;
  };

  /** The node processes by role. */
  const roles = {
    project: { actor: 'admin' as Actor, node: () => setup.projectNode },
    outlet: { actor: 'bank' as Actor, node: () => setup.nodes.bank },
    inlet: { actor: 'analysis' as Actor, node: () => setup.nodes.analysis },
  };

  async function snapshot(): Promise<StateSnapshot> {
    const [relays, outlets, inlets, members] = await Promise.all([
      s.json<{ relays: Array<{ name: string }> }>('bank', ['relay', 'list']),
      s.json<{ outlets: Array<{ address: string; target: string }> }>('bank', ['tcp-outlet', 'list']),
      s.json<{ inlets: Array<{ listen: string; via?: string; outlet?: string }> }>('analysis', ['tcp-inlet', 'list']),
      s.json<{ members: Array<{ identifier: string; attributes: Record<string, string> }> }>('admin', ['project', 'member', 'list']),
    ]);
    return {
      relays: relays.relays.map((r) => r.name).sort(),
      outlets: outlets.outlets.map((o) => `${o.address} -> ${o.target}`).sort(),
      inlets: inlets.inlets.map((i) => `${i.listen} via ${i.via} to ${i.outlet}`).sort(),
      members: members.members.map((m) => `${m.identifier} ${JSON.stringify(m.attributes)}`).sort(),
    };
  }

  /** Exports the audit log and verifies it offline with the authority's public identity. */
  async function auditVerifies(): Promise<void> {
    const file = join(s.root, `audit-${nextId}.jsonl`);
    await s.ok('admin', ['audit', 'export', '--output', file]);
    await s.ok('admin', ['audit', 'verify', file, '--authority', join(s.homes.admin, 'projects', 'bank.json')]);
  }

  /** Polls until a fresh 1 MiB download through the inlet arrives intact; returns how long that took. */
  async function serviceBack(from: number): Promise<number> {
    await waitFor('a download through the portal', async () => {
      const r = await startDownload(setup.inletPort, pattern, nextId++, MiB, 64 * MiB, 5_000).done;
      return r.outcome === 'end' && r.bytes === MiB && r.corruptAt === undefined ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    return Date.now() - from;
  }

  /** Starts the three workloads and resolves once each is moving. */
  async function startWorkloads(size: number, rate: number, pgSeconds: number) {
    const download = startDownload(setup.inletPort, pattern, nextId++, size, rate, 60_000);
    const upload = startUpload(setup.inletPort, pattern, nextId++, size, rate, 60_000);
    const bench = startPgbench(pgInletPort, 'bench', { clients: 2, seconds: pgSeconds });
    await waitFor('the transfers and pgbench to move', () => (download.bytes() > 512 * 1024 && upload.bytes() > 512 * 1024 ? true : undefined), { timeoutMs: 20_000, intervalMs: 50 });
    await Promise.race([bench.flowing, new Promise((r) => setTimeout(r, 15_000))]);
    return { download, upload, bench };
  }

  /**
   * Checks a cut download and upload: every byte that arrived is right; each side whose peer
   * is alive sees a reset, never a clean end with fewer bytes, within its bound; pgbench
   * fails within the client bound. Returns the times (ms after the fault) for the report.
   */
  async function expectCutVisible(kind: 'kill' | 'freeze', role: 'outlet' | 'project' | 'inlet', t0: number, work: Awaited<ReturnType<typeof startWorkloads>>): Promise<Record<string, number>> {
    const label = `${kind} ${role}`;
    const bounds = BOUNDS[kind][role];
    const [d, u, b] = await Promise.all([work.download.done, work.upload.done, work.bench.done]);
    const serverEvents = (): [ServerEvent | undefined, ServerEvent | undefined] => [server!.event('D', d.id), server!.event('U', u.id)];
    await waitFor('the server to see both connections end', () => (serverEvents().every((e) => e !== undefined) ? true : undefined), { timeoutMs: 20_000, intervalMs: 50 }).catch(() => undefined);
    const [sd, su] = serverEvents();
    const times = { download: d.endedAt - t0, upload: u.endedAt - t0, pgbench: b.endedAt - t0, serverDownload: sd ? sd.at - t0 : -1, serverUpload: su ? su.at - t0 : -1 };
    console.log(`${label}: ${JSON.stringify({ d, u, sd, su, times, pgbench: b.code, pgbenchTail: b.output.trim().split('\n').slice(-2) })}`);
    expect.soft(d.corruptAt, `${label}: download bytes`).toBeUndefined();
    expect.soft(su?.corruptAt, `${label}: upload bytes at the server`).toBeUndefined();
    expect.soft(d.bytes, `${label}: download cut`).toBeLessThan(d.size);
    expect.soft(u.confirmed, `${label}: a cut upload is not confirmed`).toBe(false);
    expect.soft(b.code, `${label}: pgbench fails`).not.toBe(0);
    if (bounds.client !== undefined) {
      expect.soft(d.outcome, `${label}: the client of a cut download (${d.bytes} of ${d.size} bytes)`).toBe('reset');
      expect.soft(u.outcome, `${label}: the client of a cut upload`).toBe('reset');
      for (const what of ['download', 'upload', 'pgbench'] as const) expect.soft(times[what], `${label}: ${what} ended`).toBeLessThan(bounds.client);
    } else {
      for (const what of ['download', 'upload', 'pgbench'] as const) expect.soft(times[what], `${label}: ${what} ended`).toBeLessThan(KILL_BOUND_MS);
    }
    if (bounds.server !== undefined) {
      expect.soft(sd?.end, `${label}: the server of a cut download`).toBe('reset');
      expect.soft(su?.end, `${label}: the server of a cut upload (${su?.bytes} of ${u.size} bytes)`).toBe('reset');
      for (const what of ['serverDownload', 'serverUpload'] as const) {
        expect.soft(times[what], `${label}: ${what} ended`).toBeGreaterThanOrEqual(0);
        expect.soft(times[what], `${label}: ${what} ended`).toBeLessThan(bounds.server);
      }
    }
    return times;
  }

  beforeAll(async () => {
    assertBuilt();
    pg = await startTestPostgres();
    pgPort = Number(new URL(pg.url).port);
    const authorityDb = await pg.createDatabase('authority');
    await pg.createDatabase('bench');
    await initPgbench(pgPort, 'bench');
    server = await StreamServerProcess.start(seed);
    const t0 = Date.now();
    setup = await setUpScenario(s, { target: `127.0.0.1:${server.port}`, projectDatabase: authorityDb });
    pgInletPort = await freePort();
    await s.ok('bank', ['tcp-outlet', 'create', '--from', 'outlet-pg', '--to', `127.0.0.1:${pgPort}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${pgInletPort}`, '--via', 'postgres', '--outlet', 'outlet-pg', '--allow', 'subject.component == "db"']);
    measured.setupMs = Date.now() - t0;
    await serviceBack(Date.now());
    baseline = await snapshot();
    console.log(`fault suite baseline: ${JSON.stringify(baseline)}`);
  }, 180_000);

  afterAll(async () => {
    for (const pid of pg?.pids() ?? []) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } }
    await server?.kill();
    await s.cleanup();
    await pg?.stop();
    console.log(`fault suite measurements: ${JSON.stringify(measured)}`);
  }, 90_000);

  for (const role of ['outlet', 'project', 'inlet'] as const) {
    it(`killing the ${role} node cuts every session visibly and in bounded time; after node start, service and state are back`, async () => {
      const work = await startWorkloads(1024 * MiB, 4 * MiB, 30);
      const pid = nodePid(roles[role].actor, roles[role].node());
      const t0 = Date.now();
      process.kill(pid, 'SIGKILL');
      const times = await expectCutVisible('kill', role, t0, work);
      const restart = await s.run(roles[role].actor, ['node', 'start', roles[role].node()]);
      expect(restart.code, restart.stderr).toBe(0);
      const back = await serviceBack(Date.now());
      measured[`kill-${role}`] = { ...times, serviceBackMs: back };
      expect(back).toBeLessThan(RECOVERY_BOUND_MS);
      expect(await snapshot()).toEqual(baseline);
      if (role === 'project') await auditVerifies();
    }, 120_000);
  }

  for (const role of ['outlet', 'project', 'inlet'] as const) {
    it(`freezing the ${role} node past the keep-alive bounds cuts every session visibly; after it resumes, service is back by itself`, async () => {
      const work = await startWorkloads(1024 * MiB, 4 * MiB, 30);
      const pid = nodePid(roles[role].actor, roles[role].node());
      const t0 = Date.now();
      process.kill(pid, 'SIGSTOP');
      let resumed = 0;
      const thaw = new Promise<void>((resolve) => setTimeout(() => { process.kill(pid, 'SIGCONT'); resumed = Date.now(); resolve(); }, NODE_FREEZE_MS));
      try {
        const times = await expectCutVisible('freeze', role, t0, work);
        await thaw;
        const back = await serviceBack(resumed);
        measured[`freeze-${role}`] = { ...times, serviceBackMs: back };
        expect(back).toBeLessThan(FROZEN_RECOVERY_BOUND_MS);
        expect(await snapshot()).toEqual(baseline);
      } finally {
        await thaw;
      }
    }, 120_000);
  }

  /** Transfers that must survive the fault: small, slow enough to span it. */
  const SURVIVING_SIZE = 6 * MiB;
  const SURVIVING_RATE = 2 * MiB;

  /** Both transfers arrived whole and intact, at the client and at the server. */
  async function expectTransfersComplete(work: Awaited<ReturnType<typeof startWorkloads>>, label: string): Promise<void> {
    const [d, u] = await Promise.all([work.download.done, work.upload.done]);
    expect.soft({ outcome: d.outcome, bytes: d.bytes, corruptAt: d.corruptAt }, `${label}: download`).toEqual({ outcome: 'end', bytes: SURVIVING_SIZE, corruptAt: undefined });
    expect.soft({ outcome: u.outcome, confirmed: u.confirmed }, `${label}: upload`).toEqual({ outcome: 'end', confirmed: true });
  }

  it('killing the server behind the outlet: each client sees what the server\'s kernel sent, intact; a new server on the port serves at once; pgbench is untouched', async () => {
    const work = await startWorkloads(1024 * MiB, 4 * MiB, 6);
    const t0 = Date.now();
    await server!.kill();
    const [d, u] = await Promise.all([work.download.done, work.upload.done]);
    console.log(`kill server: ${JSON.stringify({ d, u, times: { download: d.endedAt - t0, upload: u.endedAt - t0 } })}`);
    // A killed server closes with FIN what it had read to the end (the download: as on a
    // direct connection, the portal passes that end on) and resets what it had not (the upload).
    expect.soft(d.corruptAt).toBeUndefined();
    expect.soft(d.bytes).toBeLessThan(d.size);
    expect.soft(['end', 'reset']).toContain(d.outcome);
    expect.soft(['end', 'reset']).toContain(u.outcome);
    expect.soft(u.confirmed).toBe(false);
    for (const ms of [d.endedAt - t0, u.endedAt - t0]) expect.soft(ms).toBeLessThan(KILL_BOUND_MS);
    const b = await work.bench.done;
    expect.soft(b.code, b.output).toBe(0);
    expect.soft(pgbenchFailures(b.output)).toBe(0);
    await server!.launch();
    const back = await serviceBack(Date.now());
    measured['kill-server'] = { download: d.endedAt - t0, upload: u.endedAt - t0, serviceBackMs: back };
    expect(back).toBeLessThan(RECOVERY_BOUND_MS);
  }, 120_000);

  it('freezing the server behind the outlet: transfers wait and then complete byte for byte; no session is aborted', async () => {
    const work = await startWorkloads(SURVIVING_SIZE, SURVIVING_RATE, 4);
    server!.signal('SIGSTOP');
    await new Promise((r) => setTimeout(r, FREEZE_MS));
    server!.signal('SIGCONT');
    await expectTransfersComplete(work, 'freeze server');
    const b = await work.bench.done;
    expect.soft(b.code, b.output).toBe(0);
  }, 120_000);

  it('killing Postgres: pgbench fails at once, transfers go on, authority calls fail fast; after a restart both work again and the audit log verifies', async () => {
    const work = await startWorkloads(SURVIVING_SIZE, SURVIVING_RATE, 30);
    const t0 = Date.now();
    for (const pid of pg!.pids()) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
    const b = await work.bench.done;
    const pgbenchMs = b.endedAt - t0;
    expect.soft(b.code).not.toBe(0);
    expect.soft(pgbenchMs).toBeLessThan(KILL_BOUND_MS);
    const call = Date.now();
    const down = await s.run('admin', ['project', 'member', 'list']);
    const downMs = Date.now() - call;
    expect.soft(down.code, down.stderr).toBe(5);
    await expectTransfersComplete(work, 'kill postgres');
    await pg!.restart();
    const restarted = Date.now();
    await waitFor('authority calls to work again', async () => ((await s.run('admin', ['project', 'member', 'list'])).code === 0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 200 });
    const authorityBackMs = Date.now() - restarted;
    const again = await startPgbench(pgInletPort, 'bench', { clients: 2, seconds: 2 }).done;
    expect(again.code, again.output).toBe(0);
    measured['kill-postgres'] = { pgbenchMs, authorityCallDownMs: downMs, authorityBackMs };
    expect(authorityBackMs).toBeLessThan(RECOVERY_BOUND_MS + 5_000);
    expect(await snapshot()).toEqual(baseline);
    await auditVerifies();
  }, 120_000);

  it('freezing Postgres: pgbench waits and completes, transfers go on, an authority call times out within its bound; afterwards the audit log verifies', async () => {
    const work = await startWorkloads(SURVIVING_SIZE, SURVIVING_RATE, 8);
    const pids = pg!.pids();
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    const thaw = new Promise<void>((resolve) => setTimeout(() => { for (const pid of pids) { try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ } } resolve(); }, FREEZE_MS));
    try {
      const call = Date.now();
      const frozen = await s.run('admin', ['project', 'member', 'list']);
      const frozenMs = Date.now() - call;
      expect.soft(frozen.code, frozen.stderr).toBe(5);
      // The statement timeout (5 s), this side's extra second, the CLI's start: well below the 10 s request deadline.
      expect.soft(frozenMs).toBeLessThan(10_000);
      await expectTransfersComplete(work, 'freeze postgres');
      await thaw;
      const b = await work.bench.done;
      expect.soft(b.code, b.output).toBe(0);
      expect.soft(pgbenchFailures(b.output)).toBe(0);
      measured['freeze-postgres'] = { authorityCallMs: frozenMs };
      expect(await snapshot()).toEqual(baseline);
      await auditVerifies();
    } finally {
      await thaw;
    }
  }, 120_000);
});
