import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { freePort, Scenario, waitFor } from './support/scenario.js';

interface Denial { at: string; resource: { type: string; name: string }; action: string; subject?: string; reason: string }
interface AuditEntry { seq: number; type: string; actor: string; fields: Record<string, unknown> }

/**
 * A project (admin), Bank holding relay `postgres` and Analysis, whose ticket also allows
 * `postgres`: failures of policies and relays as the user sees them, each through the real
 * CLI against real node processes.
 */
describe('failures that explain themselves', () => {
  const s = Scenario.create({ prefix: 'sym-it-ux-' });
  let analysisId = '';
  let bankId = '';
  let echo: Server | undefined;

  beforeAll(async () => {
    assertBuilt();
    const projectPort = await freePort();
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
    const bankTicket = s.writeFile('bank.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = s.writeFile('analysis.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis', '--relay', 'postgres']));
    await s.ok('bank', ['project', 'enroll', bankTicket]);
    await s.ok('analysis', ['project', 'enroll', analysisTicket]);
    bankId = (await s.json<{ identifier: string }>('bank', ['identity', 'show'])).identifier;
    analysisId = (await s.json<{ identifier: string }>('analysis', ['identity', 'show'])).identifier;
    await s.ok('bank', ['relay', 'create', 'postgres']);
  }, 180_000);

  afterAll(async () => {
    await s.cleanup();
    await new Promise((r) => (echo ? echo.close(r) : r(undefined)));
  }, 60_000);

  it('refuses an unknown resource type with the list of known ones', async () => {
    const r = await s.run('bank', ['policy', 'create', '--resource-type', 'tcp_outlet', '--expression', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error: unknown resource type 'tcp_outlet': use one of secure-channel-listener, tcp-inlet, tcp-outlet, relay, authority, worker, kafka-inlet, kafka-outlet, kafka-consume, kafka-produce, policy (a named worker is --resource NAME, or --resource-type worker)\n");
    const listed = await s.json<{ policies: unknown[] }>('bank', ['policy', 'list']);
    expect(listed.policies).toEqual([]);
    const t = await s.run('bank', ['policy', 'test', '--expression', 'true', '--resource-type', 'outlet']);
    expect([t.code, t.stderr]).toEqual([2, expect.stringContaining("unknown resource type 'outlet': use one of secure-channel-listener,")]);
    expect((await s.run('bank', ['policy', 'create', '--resource-type', 'tcp-outlet', '--expression', 'subject.component == "analysis"'])).code).toBe(0);
  }, 60_000);

  it('warns when a policy names an attribute no member carries, pointing at policy test', async () => {
    const known = await s.run('bank', ['tcp-outlet', 'create', '--from', 'known', '--to', '127.0.0.1:9', '--allow', 'subject.component == "analysis"']);
    expect([known.code, known.stderr]).toEqual([0, '']);
    const typo = await s.run('bank', ['tcp-outlet', 'create', '--from', 'typo', '--to', '127.0.0.1:9', '--allow', 'subject.componnet == "analysis"']);
    expect(typo.code).toBe(0);
    expect(typo.stderr).toBe(
      "Warning: no member of project bank carries attribute 'componnet', so subject.componnet matches nobody yet (members carry: component, relay);" +
      " check the expression with: symbolon policy test --expression 'subject.componnet == \"analysis\"' --subject componnet=VALUE\n");
    const policy = await s.run('bank', ['policy', 'create', '--json', '--resource', 'echo', '--expression', 'subject.team == "x" || subject.component == "db"']);
    expect(policy.code).toBe(0);
    expect((JSON.parse(policy.stdout) as { warnings: string[] }).warnings).toEqual([expect.stringMatching(/^no member of project bank carries attribute 'team'/)]);
  }, 60_000);

  it('names a relay takeover and records it in policy denials and the audit log of the project node', async () => {
    const r = await s.run('analysis', ['relay', 'create', 'postgres']);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/^Error: relay postgres is held by another member: /);
    expect(r.stderr).not.toContain('credential does not allow');
    // The holder keeps it.
    const held = await s.json<{ relays: Array<{ name: string; status: { connected: boolean } }> }>('bank', ['relay', 'list']);
    expect(held.relays).toMatchObject([{ name: 'postgres', status: { connected: true } }]);

    const denials = await s.json<{ denials: Denial[] }>('admin', ['policy', 'denials', '--at', 'bank']);
    const takeover = denials.denials.find((d) => d.resource.type === 'relay' && d.resource.name === 'postgres');
    expect(takeover).toMatchObject({ action: 'create', subject: analysisId, reason: `relay postgres is held by another member (${bankId})` });

    const audit = await s.json<{ records: AuditEntry[] }>('admin', ['audit', 'show', '--limit', '1000']);
    const record = audit.records.find((e) => e.type === 'access.refused' && e.fields.action === 'relay.create');
    expect(record).toMatchObject({ actor: analysisId, fields: { relay: 'postgres', holder: bankId, reason: 'held by another member' } });
  }, 60_000);

  it('finds an inlet by the name it was created with, and shows every portal with its health, counters and times in status', async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((r) => echo!.listen(0, '127.0.0.1', r));
    const target = `127.0.0.1:${(echo.address() as { port: number }).port}`;
    await s.ok('bank', ['tcp-outlet', 'create', '--to', target, '--allow', 'subject.component == "analysis"']);
    const port = await freePort();
    const created = await s.json<{ name: string }>('analysis', ['tcp-inlet', 'create', '--from', `localhost:${port}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
    expect(created.name).toBe(`127.0.0.1:${port}`);
    const shown = await s.json<{ name: string; status: { since: string } }>('analysis', ['tcp-inlet', 'show', `localhost:${port}`]);
    expect(shown.name).toBe(`127.0.0.1:${port}`);
    expect(shown.status.since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const reply = await waitFor('an echo through the portal', () => new Promise<string | undefined>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('ping through the portal'));
      let got = '';
      socket.on('data', (d: Buffer) => { got += d.toString(); if (got.length >= 22) { socket.end(); resolve(got); } });
      socket.on('error', () => resolve(undefined));
      socket.setTimeout(5_000, () => { socket.destroy(); resolve(undefined); });
    }), { timeoutMs: 30_000 });
    expect(reply).toBe('ping through the portal');

    interface Status {
      projects: Array<{ name: string; role: string; credential: { expiresAt: string; expired: boolean } | null; projectNode: { relays: string[] | null; members: number | null } | null }>;
      nodes: Array<{ name: string; status: string; inlets: Array<Record<string, unknown>>; outlets: Array<Record<string, unknown>>; relays: Array<Record<string, unknown>> }>;
    }
    const analysis = await s.json<Status>('analysis', ['status']);
    expect(analysis.projects).toMatchObject([{ name: 'bank', role: 'member', credential: { expired: false } }]);
    expect(Date.parse(analysis.projects[0]!.credential!.expiresAt)).toBeGreaterThan(Date.now());
    const inlet = analysis.nodes.flatMap((n) => n.inlets).find((i) => i.name === `127.0.0.1:${port}`)!;
    expect(inlet).toMatchObject({ via: 'postgres', health: 'ok', sessionsOpened: expect.any(Number), lastError: null });
    expect(inlet.sessionsOpened as number).toBeGreaterThanOrEqual(1);
    expect(inlet.bytesOut as number).toBeGreaterThanOrEqual(22);

    const bank = await s.json<Status>('bank', ['status']);
    const outlet = bank.nodes.flatMap((n) => n.outlets).find((o) => o.address === 'outlet')!;
    expect(outlet).toMatchObject({ target, health: 'ok' });
    expect(outlet.bytesIn as number).toBeGreaterThanOrEqual(22);
    expect(bank.nodes.flatMap((n) => n.relays)).toMatchObject([{ name: 'postgres', health: 'registered', since: expect.stringMatching(/Z$/) }]);
    const bankText = await s.ok('bank', ['status']);
    expect(bankText).toMatch(/\n {4}relay postgres at bank {2}registered since \S+Z\n/);
    expect(bankText).toMatch(/\n {4}outlet outlet -> 127\.0\.0\.1:\d+ {2}ok {2}sessions \d+ open, \d+ opened, 0 failed {2}bytes in \d+ B, out \d+ B\n/);

    const admin = await s.json<Status>('admin', ['status']);
    expect(admin.projects).toMatchObject([{ name: 'bank', role: 'admin', projectNode: { relays: ['postgres'], members: 3 } }]);
    expect(await s.ok('admin', ['status'])).toMatch(/\n {4}project node bank: 1 relay\(s\) \(postgres\), 3 member\(s\)\n/);

    // Delete by the name it was created with.
    expect((await s.run('analysis', ['tcp-inlet', 'delete', `localhost:${port}`])).code).toBe(0);
    expect((await s.json<{ inlets: unknown[] }>('analysis', ['tcp-inlet', 'list'])).inlets).toEqual([]);
  }, 120_000);
});
