import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { freePort, Scenario } from './support/scenario.js';

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
  }, 60_000);

  it('refuses an unknown resource type with the list of known ones', async () => {
    const r = await s.run('bank', ['policy', 'create', '--resource-type', 'tcp_outlet', '--expression', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("Error: unknown resource type 'tcp_outlet': use one of secure-channel-listener, tcp-inlet, tcp-outlet, relay, authority, worker (a named worker is --resource NAME, or --resource-type worker)\n");
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
});
