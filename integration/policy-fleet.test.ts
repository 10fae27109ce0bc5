import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { Scenario, setUpScenario, waitFor, type ScenarioSetup } from './support/scenario.js';

interface PolicyView { label: string; expression: string; mode: string; valid: boolean }
interface Denial { resource: { type: string; name: string }; action: string; subject?: string; reason: string; mode?: string }
interface Denials { denials: Denial[]; counts: { total: number; wouldDeny: number } }
interface RecordLine { kind: string; type?: string; actor?: string; fields?: Record<string, unknown> }

/** Sends `text` through the inlet and resolves with what came back, or 'closed' when the portal closed without an answer. */
function roundTrip(port: number, text: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let got = '';
    const done = (value: string): void => { clearTimeout(timer); socket.destroy(); resolve(value); };
    const timer = setTimeout(() => done(got === '' ? 'timeout' : got), timeoutMs);
    socket.on('connect', () => socket.write(text));
    socket.on('data', (d) => { got += d.toString(); if (got.length >= text.length) done(got); });
    socket.on('error', () => done(got === '' ? 'closed' : got));
    socket.on('close', () => done(got === '' ? 'closed' : got));
  });
}

describe('policies of a member node managed from the admin\'s home, over the project', () => {
  const s = Scenario.create({ prefix: 'sym-fleet-' });
  let echo: Server;
  let setup: ScenarioSetup;
  let bankId: string;
  let analysisId: string;

  beforeAll(async () => {
    assertBuilt();
    echo = createServer((c) => { c.on('error', () => undefined); c.pipe(c); });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as { port: number }).port;
    setup = await setUpScenario(s, { target: `127.0.0.1:${port}` });
    [bankId, analysisId] = (await Promise.all(['bank', 'analysis'].map((a) => s.json<{ identifier: string }>(a as 'bank' | 'analysis', ['identity', 'show'])))).map((r) => r.identifier) as [string, string];
    expect(await waitFor('the portal to carry bytes', async () => ((await roundTrip(setup.inletPort, 'ping', 5_000)) === 'ping' ? true : undefined))).toBe(true);
    // The bank node keeps its management route registered at the project node.
    await waitFor('the bank node\'s management route', () => s.json('admin', ['policy', 'list', '--at-member', bankId]), { timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await s.cleanup();
    await new Promise((r) => echo?.close(r));
  }, 60_000);

  it('an admin replaces, audits, shows, lists and deletes a policy on the bank node; the bank node enforces it and records who changed what', async () => {
    const listed = await s.json<{ member: string; policies: PolicyView[] }>('admin', ['policy', 'list', '--at-member', bankId]);
    expect(listed.member).toBe(bankId);
    expect(listed.policies.map((p) => [p.label, p.expression, p.mode])).toEqual([['resource outlet', 'subject.component == "analysis"', 'enforce']]);

    // Enforced: the analysis side no longer reaches the outlet.
    const created = await s.json<PolicyView & { member: string }>('admin', ['policy', 'create', '--at-member', bankId, '--resource', 'outlet', '--expression', 'subject.component == "nobody"']);
    expect(created).toMatchObject({ member: bankId, label: 'resource outlet', expression: 'subject.component == "nobody"', mode: 'enforce', valid: true });
    expect(await roundTrip(setup.inletPort, 'blocked')).toBe('closed');
    const atBank = await s.json<{ policies: PolicyView[] }>('bank', ['policy', 'list']);
    expect(atBank.policies.map((p) => p.expression)).toEqual(['subject.component == "nobody"']);

    // Audit mode: the same rule decides and is recorded, but lets the traffic through.
    await s.json('admin', ['policy', 'create', '--at-member', bankId, '--resource', 'outlet', '--expression', 'subject.component == "nobody"', '--mode', 'audit']);
    expect(await roundTrip(setup.inletPort, 'audited')).toBe('audited');
    expect(await s.json<PolicyView>('admin', ['policy', 'show', '--at-member', bankId, '--resource', 'outlet'])).toMatchObject({ mode: 'audit', expression: 'subject.component == "nobody"' });
    const denials = await waitFor('the audit-mode record at the bank node', async () => {
      const r = await s.json<Denials>('bank', ['policy', 'denials', '--limit', '100']);
      return r.denials.some((d) => d.mode === 'audit' && d.subject === analysisId) ? r : undefined;
    }, { timeoutMs: 10_000 });
    expect(denials.counts.wouldDeny).toBeGreaterThanOrEqual(1);
    expect(denials.denials.find((d) => d.mode === 'audit')!.reason).toMatch(/^audit mode, allowed; would have been denied by resource outlet policy/);

    // Deleted: the outlet falls back to the default (a member of the project), so analysis passes.
    const deleted = await s.json<{ member: string; deleted: unknown }>('admin', ['policy', 'delete', '--at-member', bankId, '--resource', 'outlet']);
    expect(deleted).toMatchObject({ member: bankId, deleted: { resource: 'outlet' } });
    expect((await s.json<{ policies: PolicyView[] }>('admin', ['policy', 'list', '--at-member', bankId])).policies).toEqual([]);
    expect(await roundTrip(setup.inletPort, 'default')).toBe('default');

    // The bank node's decision log names the admin's identity, where it came from, and the old and new expressions.
    const [{ identifier: adminId }, exported] = await Promise.all([
      s.json<{ identifier: string }>('admin', ['identity', 'show']), s.ok('bank', ['node', 'audit', 'export']),
    ]);
    const changes = exported.trim().split('\n').map((l) => JSON.parse(l) as RecordLine).filter((r) => r.kind === 'record' && r.type?.startsWith('policy.'));
    const byAdmin = changes.filter((r) => r.actor === adminId);
    expect(byAdmin.map((r) => r.type)).toEqual(['policy.replaced', 'policy.replaced', 'policy.deleted']);
    expect(byAdmin[0]!.fields).toMatchObject({ identifier: adminId, via: 'project', project: 'bank', before: 'subject.component == "analysis"', after: 'subject.component == "nobody"' });
    expect(byAdmin[1]!.fields).toMatchObject({ beforeMode: 'enforce', afterMode: 'audit' });
    expect(byAdmin[2]!.fields).toMatchObject({ before: 'subject.component == "nobody"', beforeMode: 'audit' });
    await s.ok('admin', ['policy', 'create', '--at-member', bankId, '--resource', 'outlet', '--expression', 'subject.component == "analysis"']);
  }, 90_000);

  it('a non-admin member is refused: by the project node, and by the member node itself when the project node forwards anyway', async () => {
    const refused = await s.run('analysis', ['policy', 'create', '--at-member', bankId, '--resource', 'outlet', '--expression', 'true']);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/did not answer .*forwards only for the project's admins/);
    const atProject = await s.json<Denials>('admin', ['policy', 'denials', '--at', setup.projectNode, '--limit', '100']);
    expect(atProject.denials.some((d) => d.resource.name === `member.${bankId}` && d.subject === analysisId && d.action === 'send')).toBe(true);

    // A project node that forwards for everyone (a permissive relay policy) changes nothing: the bank node decides on the caller's own credential.
    await s.ok('admin', ['policy', 'create', '--at', setup.projectNode, '--resource', `member.${bankId}`, '--expression', 'true']);
    try {
      const again = await s.run('analysis', ['policy', 'create', '--at-member', bankId, '--resource', 'outlet', '--expression', 'true']);
      expect([again.code, again.stderr.trim()]).toEqual([4, `Error: member ${bankId}'s node: create refused`]);
      const atBank = await s.json<Denials>('bank', ['policy', 'denials', '--limit', '100']);
      const denial = atBank.denials.find((d) => d.resource.type === 'policy' && d.subject === analysisId);
      expect(denial).toMatchObject({ resource: { type: 'policy', name: 'member_policies' }, action: 'create' });
      expect(denial!.reason).toContain('not an admin');
      expect((await s.json<{ policies: PolicyView[] }>('bank', ['policy', 'list'])).policies.map((p) => p.expression)).toEqual(['subject.component == "analysis"']);
    } finally {
      await s.ok('admin', ['policy', 'delete', '--at', setup.projectNode, '--resource', `member.${bankId}`]);
    }
  }, 60_000);

  it('policy test --cases passes, fails with the mismatch named, and runs read-only against a node\'s policies', async () => {
    const file = s.writeFile('cases.yaml', [
      'resource: { type: tcp-outlet, name: outlet }',
      'cases:',
      '  - name: analysis connects',
      '    subject: { component: analysis, project: bank }',
      '    expect: allow',
      '  - name: the web tier does not',
      '    subject: { component: web, project: bank }',
      '    expect: deny',
      '',
    ].join('\n'));
    const [pass, fail] = await Promise.all([
      s.run('admin', ['policy', 'test', '--cases', file, '--expression', 'subject.component == "analysis"']),
      s.run('admin', ['policy', 'test', '--cases', file, '--expression', 'subject.component in ["analysis", "web"]']),
    ]);
    expect([pass.code, pass.stdout]).toEqual([0, expect.stringContaining('2 case(s), 2 passed, 0 failed')]);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toMatch(/FAIL {2}the web tier does not \(line 6\): expected deny, got allow\n\s+decided by: .*subject\.component in \["analysis", "web"\]/);
    const bankNode = await s.defaultNode('bank');
    const pids = s.nodePids('bank');
    const [onNode, bad] = await Promise.all([
      s.json<{ passed: number; failed: number }>('bank', ['policy', 'test', '--cases', file, '--node', bankNode]),
      s.run('admin', ['policy', 'test', '--cases', s.writeFile('bad.yaml', 'cases:\n  - subject: {}\n    expect: perhaps\n'), '--expression', 'true']),
    ]);
    expect(onNode).toMatchObject({ passed: 2, failed: 0 });
    expect(s.nodePids('bank')).toEqual(pids);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining('cases[0].expect: must be allow or deny (line 2)')]);
  }, 30_000);
});
