import { join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl } from '../core/api/control-client.js';
import { assertBuilt } from './support/cli.js';
import { freePort, Scenario, waitFor, type ScenarioActor } from './support/scenario.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

interface InletShow { status: { connected: boolean; lastError?: string; lastErrorAt?: string; recoveredAt?: string; sessionsFailed: number } }
interface OutletShow {
  status: {
    sessions: number; sessionsOpened: number; sessionsFailed: number; bytesIn: number; bytesOut: number;
    refusals: { policy: number; unreachable: number; capacity: number };
    lastError?: string; lastErrorAt?: string; recoveredAt?: string;
  };
}
interface StatusLastError { message: string; at: string | null; current: boolean; recoveredAt: string | null }
interface HomeStatusJson { nodes: Array<{ inlets: Array<{ name: string; health: string; lastError: StatusLastError | null }>; outlets: Array<{ address: string; lastError: StatusLastError | null; refusals?: OutletShow['status']['refusals'] }> }> }

/** A field name that holds a time (`at`, `createdAt`, `time`, `since`, `expires`, `revokedUntil`, ...). */
const TIME_NAME = /(^at$|At$|^time$|Time$|^since$|Since$|[uU]ntil$|^expires$|^created$|^issued$)/;

/**
 * Every place in `value` (a parsed --json output or node API result) where a time is a
 * number: a time-named field holding a number, or any number that reads as milliseconds
 * since the epoch between 2001 and 2286; and ISO times before 2001 (a unit mistake).
 * Returns the paths with their values.
 */
function epochTimes(value: unknown, path = '$'): string[] {
  if (typeof value === 'number') return value >= 1e12 && value < 1e13 ? [`${path}=${value}`] : [];
  // An ISO time before 2001 is a time in the wrong unit (seconds read as milliseconds).
  if (typeof value === 'string') return /^(19\d\d|2000)-\d\d-\d\dT/.test(value) ? [`${path}=${value}`] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => epochTimes(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (typeof v === 'number' && TIME_NAME.test(k) ? [`${path}.${k}=${v}`] : epochTimes(v, `${path}.${k}`)));
}

/** What a client of the inlet sees: how long until its connection closed, whether it was reset, bytes received. */
interface ClientOutcome { ms: number; reset: boolean; received: number }

/** Connects to the inlet, writes a query and waits (at most 20 s) for the connection to close. */
function client(port: number): Promise<ClientOutcome> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let reset = false;
    let received = 0;
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`the inlet kept the client connection open for 20 s`)); }, 20_000);
    socket.on('connect', () => socket.write('select 1'));
    socket.on('data', (d: Buffer) => { received += d.length; });
    socket.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'ECONNRESET' || err.code === 'EPIPE') reset = true; });
    socket.once('close', () => { clearTimeout(timer); resolve({ ms: Date.now() - t0, reset, received }); });
  });
}

/** An echo round trip through the inlet; resolves with what came back (undefined on failure). */
function echo(port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let got = '';
    socket.on('data', (d: Buffer) => { got += d.toString(); if (got.length >= text.length) { socket.destroy(); resolve(got); } });
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => resolve(got.length >= text.length ? got : undefined));
    socket.setTimeout(5_000, () => { socket.destroy(); resolve(undefined); });
  });
}

/**
 * Outlet refusals explained at the inlet (issue 13, item 1) and last errors that age (item
 * 2), with real node processes: Bank holds relay `postgres` with two outlets, one whose
 * target port is closed and one whose policy admits nobody; Analysis has an inlet to each.
 * The client's connection is reset at once (well inside the 10 s pong timeout), the inlet's
 * last error says which refusal it was and names the owner-side command, and the outlet
 * counts it. Then the target comes up and both sides mark their error old.
 */
describe('outlet refusals explained at the inlet', () => {
  const s = Scenario.create({ prefix: 'sym-it-refusal-' });
  let targetPort = 0;
  let target: Server | undefined;
  let unreachableInlet = 0;
  let deniedInlet = 0;

  beforeAll(async () => {
    assertBuilt();
    const projectPort = await freePort();
    targetPort = await freePort();
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
    const bankTicket = s.writeFile('bank.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = s.writeFile('analysis.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']));
    await s.ok('bank', ['project', 'enroll', bankTicket]);
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${targetPort}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('bank', ['tcp-outlet', 'create', '--from', 'closed', '--to', `127.0.0.1:${targetPort}`, '--allow', 'subject.component == "auditor"']);
    await s.ok('bank', ['relay', 'create', 'postgres']);
    await s.ok('analysis', ['project', 'enroll', analysisTicket]);
    unreachableInlet = await freePort();
    deniedInlet = await freePort();
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${unreachableInlet}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${deniedInlet}`, '--via', 'postgres', '--outlet', 'closed', '--allow', 'subject.component == "db"']);
  }, 180_000);

  afterAll(async () => {
    await s.cleanup();
    await new Promise((r) => (target ? target.close(r) : r(undefined)));
  }, 60_000);

  it("an outlet whose target port is closed: the client is reset at once and the inlet says the target is unreachable", async () => {
    const outcome = await client(unreachableInlet);
    expect(outcome.received).toBe(0);
    expect(outcome.ms).toBeLessThan(5_000);
    expect(outcome.reset).toBe(true);
    const inlet = await s.json<InletShow>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${unreachableInlet}`]);
    expect(inlet.status).toMatchObject({
      connected: false,
      lastError: "the outlet's target is unreachable (reason 1): on the outlet's node, see 'symbolon tcp-outlet show outlet'",
      lastErrorAt: expect.stringMatching(ISO),
    });
    expect(inlet.status.recoveredAt).toBeUndefined();
    const text = await s.ok('analysis', ['tcp-inlet', 'show', `127.0.0.1:${unreachableInlet}`]);
    expect(text).toMatch(/last error: +the outlet's target is unreachable \(reason 1\): on the outlet's node, see 'symbolon tcp-outlet show outlet' \(at \S+Z\)\n/);

    const outlet = await s.json<OutletShow>('bank', ['tcp-outlet', 'show']);
    expect(outlet.status.refusals).toEqual({ policy: 0, unreachable: 1, capacity: 0 });
    expect(outlet.status.lastError).toMatch(new RegExp(`^cannot connect to the target 127\\.0\\.0\\.1:${targetPort}: .*ECONNREFUSED`));
    expect(outlet.status.lastErrorAt).toMatch(ISO);
  }, 60_000);

  it("an outlet whose policy refuses: the client is reset at once and the inlet says it was the outlet's policy", async () => {
    const outcome = await client(deniedInlet);
    expect(outcome.received).toBe(0);
    expect(outcome.ms).toBeLessThan(5_000);
    expect(outcome.reset).toBe(true);
    const inlet = await s.json<InletShow>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${deniedInlet}`]);
    expect(inlet.status).toMatchObject({
      connected: false,
      lastError: "refused by the outlet's policy (reason 8): on the outlet's node, see 'symbolon policy denials'",
      lastErrorAt: expect.stringMatching(ISO),
    });
    const outlet = await s.json<OutletShow>('bank', ['tcp-outlet', 'show', 'closed']);
    expect(outlet.status.refusals).toEqual({ policy: 1, unreachable: 0, capacity: 0 });
    // Where the inlet's error points: the denial, with the outlet and the subject.
    const denials = await s.json<{ denials: Array<{ resource: { type: string; name: string }; action: string }> }>('bank', ['policy', 'denials']);
    expect(denials.denials).toContainEqual(expect.objectContaining({ resource: expect.objectContaining({ type: 'tcp-outlet', name: 'closed' }), action: 'connect' }));
    // Nothing about the policy reached the inlet's node.
    expect(JSON.stringify(inlet)).not.toContain('auditor');
  }, 60_000);

  it('once the target is up, the next session works and both ends mark their last error old', async () => {
    target = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => target!.listen(targetPort, '127.0.0.1', r));
    const reply = await waitFor('an echo through the recovered portal', () => echo(unreachableInlet, 'back again'), { timeoutMs: 20_000, intervalMs: 300 });
    expect(reply).toBe('back again');

    const inlet = await s.json<InletShow>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${unreachableInlet}`]);
    expect(inlet.status).toMatchObject({ connected: true, lastError: expect.stringMatching(/unreachable/), recoveredAt: expect.stringMatching(ISO) });
    expect(Date.parse(inlet.status.recoveredAt!)).toBeGreaterThanOrEqual(Date.parse(inlet.status.lastErrorAt!));
    expect(await s.ok('analysis', ['tcp-inlet', 'show', `127.0.0.1:${unreachableInlet}`])).toMatch(/last error: +the outlet's target is unreachable .*\(at \S+Z; old: recovered at \S+Z\)\n/);

    const outlet = await s.json<OutletShow>('bank', ['tcp-outlet', 'show']);
    expect(outlet.status).toMatchObject({ recoveredAt: expect.stringMatching(ISO), refusals: { policy: 0, unreachable: 1, capacity: 0 } });
    expect(outlet.status.sessionsOpened).toBeGreaterThanOrEqual(1);
    expect(outlet.status.bytesIn).toBeGreaterThanOrEqual(10);
    expect(outlet.status.bytesOut).toBeGreaterThanOrEqual(10);
    const outletText = await s.ok('bank', ['tcp-outlet', 'show']);
    expect(outletText).toMatch(/refused: +0 by policy \(see: symbolon policy denials\), 1 target unreachable, 0 at capacity\n/);
    expect(outletText).toMatch(/last error: +cannot connect to the target .*old: recovered at \S+Z\)\n/);

    // status: the inlet is healthy again, its error kept and marked old; the denied inlet's error is current.
    const analysis = await s.json<HomeStatusJson>('analysis', ['status']);
    const inlets = analysis.nodes.flatMap((n) => n.inlets);
    const recovered = inlets.find((i) => i.name === `127.0.0.1:${unreachableInlet}`)!;
    expect(recovered).toMatchObject({ health: 'ok', lastError: { current: false, recoveredAt: expect.stringMatching(ISO), at: expect.stringMatching(ISO) } });
    const denied = inlets.find((i) => i.name === `127.0.0.1:${deniedInlet}`)!;
    expect(denied).toMatchObject({ health: 'failing', lastError: { current: true, recoveredAt: null, message: expect.stringMatching(/outlet's policy/) } });
    const statusText = await s.ok('analysis', ['status']);
    expect(statusText).toMatch(/ {6}last error \(old: recovered \S+Z \(.* ago\)\): the outlet's target is unreachable/);
    expect(statusText).toMatch(/ {6}last error: refused by the outlet's policy \(reason 8\)/);
    const bank = await s.json<HomeStatusJson>('bank', ['status']);
    expect(bank.nodes.flatMap((n) => n.outlets).find((o) => o.address === 'outlet')).toMatchObject({
      refusals: { policy: 0, unreachable: 1, capacity: 0 }, lastError: { current: false },
    });
  }, 90_000);

  it('every --json output and node API result gives its times as ISO 8601, never as epoch numbers', async () => {
    const [adminNode, bankNode, analysisNode] = await Promise.all((['admin', 'bank', 'analysis'] as const).map((a) => s.defaultNode(a)));
    const analysisId = (await s.json<{ identifier: string }>('analysis', ['identity', 'show'])).identifier;
    // Commands that build their own output (the others print a node API result, scanned below).
    const commands: Record<ScenarioActor, string[][]> = {
      admin: [
        ['status'], ['node', 'list'], ['project', 'show'], ['vault', 'list'], ['audit', 'show', '--limit', '50'], ['node', 'logs', adminNode!, '-n', '5'],
      ],
      bank: [['status'], ['node', 'show', bankNode!]],
      analysis: [['identity', 'show']],
    };
    const issued = await s.json<{ credential: string }>('admin', ['credential', 'issue', '--as', 'default', '--for', analysisId, '--attribute', 'team=x']);
    commands.analysis.push(['credential', 'show', '--credential', issued.credential]);
    commands.admin.push(['credential', 'issue', '--as', 'default', '--for', analysisId, '--attribute', 'team=x']);
    const found: string[] = [];
    const scan = (what: string, value: unknown): void => { for (const p of epochTimes(value)) found.push(`${what}: ${p}`); };
    const parse = (what: string, text: string): unknown => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new Error(`${what} --json printed no JSON: ${text.slice(0, 300)}`);
      }
    };
    // Two commands at a time per home: the machine is shared.
    await Promise.all((Object.keys(commands) as ScenarioActor[]).map(async (actor) => {
      const list = commands[actor];
      for (let i = 0; i < list.length; i += 2) {
        await Promise.all(list.slice(i, i + 2).map(async (args) => {
          const what = `${actor}: symbolon ${args.join(' ')}`;
          const r = await s.run(actor, [...args, '--json']);
          expect(r.code, `${what} --json: ${r.stderr}`).toBe(0);
          scan(what, parse(what, r.stdout));
        }));
      }
    }));
    // Every read-only node API method, on each node.
    const at = (actor: ScenarioActor, node: string) => ({ path: join(s.homes[actor], 'nodes', node, 'control.sock'), name: node });
    const calls: Array<[ScenarioActor, string, string, Record<string, unknown>]> = [
      ['admin', adminNode!, 'project.member.list', {}], ['admin', adminNode!, 'project.member.show', { identifier: analysisId }],
      ['admin', adminNode!, 'project.ticket', { attributes: { component: 'x' } }], ['admin', adminNode!, 'project.audit.show', { limit: 50 }],
      ['admin', 'bank', 'authority.info', {}], ['admin', 'bank', 'revocations.show', {}], ['admin', 'bank', 'node.info', {}], ['admin', adminNode!, 'policy.list', {}], ['admin', adminNode!, 'policy.denials', {}],
      ['bank', bankNode!, 'tcp-outlet.list', {}], ['bank', bankNode!, 'relay.list', {}], ['bank', bankNode!, 'project.refresh', { project: 'bank' }],
      ['bank', bankNode!, 'policy.denials', {}],
      ['analysis', analysisNode!, 'tcp-inlet.list', {}], ['analysis', analysisNode!, 'secure-channel.list', {}], ['analysis', analysisNode!, 'policy.denials', {}],
    ];
    for (const [actor, node] of [['admin', adminNode!], ['bank', bankNode!], ['analysis', analysisNode!]] as const) {
      for (const method of ['node.info', 'security.info', 'revocations.show']) calls.push([actor, node, method, {}]);
    }
    for (const [actor, node, method, params] of calls) scan(`${actor}: ${method}`, await callControl(at(actor, node), method, params));
    // Suspending and removing a member (last: it ends the member's access), through the API and the CLI.
    const admin = at('admin', adminNode!);
    scan('admin: project.member.suspend', await callControl(admin, 'project.member.suspend', { identifier: analysisId }));
    scan('admin: project.member.resume', await callControl(admin, 'project.member.resume', { identifier: analysisId }));
    scan('admin: project member suspend', await s.json('admin', ['project', 'member', 'suspend', analysisId]));
    scan('admin: project.member.remove', await callControl(admin, 'project.member.remove', { identifier: analysisId }));
    expect(found).toEqual([]);
  }, 90_000);
});
