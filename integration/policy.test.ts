import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';

interface PolicyView { label: string; expression: string; valid: boolean }
interface Denials { denials: Array<{ resource: { type: string; name: string }; action: string; reason: string; subject?: string }>; counts: { total: number } }

describe('policies on running nodes through the real CLI', () => {
  const home = tempHome('sym-it-pol-');

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(home);
  });

  it('guards echo once a policy exists, reports the denial, refuses hostile expressions and keeps serving', async () => {
    for (const name of ['a', 'b']) {
      const r = await runCli(home, ['node', 'create', name]);
      expect([r.code, r.stderr]).toEqual([0, '']);
    }
    // No policy for echo yet: the default rule (a project member's credential) refuses bare TCP.
    const closed = await runCli(home, ['message', 'send', '--from', 'a', '--to', '/node/b/service/echo', '--timeout', '800ms', 'zero']);
    expect([closed.code, closed.stdout]).toEqual([5, '']);
    // A policy opens it.
    expect((await runCli(home, ['policy', 'create', '--at', 'b', '--resource', 'echo', '--expression', 'true'])).code).toBe(0);
    expect((await runCli(home, ['message', 'send', '--from', 'a', '--to', '/node/b/service/echo', 'one'])).stdout).toBe('one\n');

    const created = await runCliJson(home, ['policy', 'create', '--at', 'b', '--resource', 'echo', '--expression', 'subject.component == "db"']);
    expect(created.json).toMatchObject({ node: 'b', label: 'resource echo', valid: true });
    const listed = (await runCliJson(home, ['policy', 'list', '--at', 'b'])).json as { policies: PolicyView[] };
    expect(listed.policies.map((p) => [p.label, p.expression])).toEqual([['resource echo', 'subject.component == "db"']]);
    expect((await runCli(home, ['policy', 'show', '--at', 'b', '--resource', 'echo'])).stdout).toMatch(/expression:\s+subject\.component == "db"/);

    // A bare TCP sender has no credential: denied, the sender learns nothing, the node records why.
    const denied = await runCli(home, ['message', 'send', '--from', 'a', '--to', '/node/b/service/echo', '--timeout', '800ms', 'two']);
    expect([denied.code, denied.stdout]).toEqual([5, '']);
    const report = (await runCliJson(home, ['policy', 'denials', '--at', 'b'])).json as Denials;
    expect(report.counts.total).toBe(2);
    expect(report.denials[0]).toMatchObject({ resource: { type: 'worker', name: 'echo' }, action: 'handle' });
    expect(report.denials[0]!.reason).toContain('subject.component == "db"');
    expect((await runCli(home, ['policy', 'denials', '--at', 'b'])).stdout).toMatch(/worker\/echo\s+handle\s+\(unauthenticated\)\s+denied by resource echo policy/);

    const hostile = [
      `${'('.repeat(300)}true${')'.repeat(300)}`,
      `"${'x'.repeat(100_000)}" == subject.name`,
      '[1,2,3].map(x, [1,2,3].map(y, [1,2,3].map(z, [1,2,3].map(w, x + y + z + w)))).size() > 0',
      'subject.component + 1 == 2',
      'subject.component',
    ];
    const refusals = await Promise.all(hostile.map((expression) => runCli(home, ['policy', 'create', '--at', 'b', '--resource', 'echo', '--expression', expression])));
    for (const r of refusals) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^Error: [^\n]+\n$/);
    }
    // The stored policy is unchanged and the node still answers.
    expect(((await runCliJson(home, ['policy', 'show', '--at', 'b', '--resource', 'echo'])).json as PolicyView).expression).toBe('subject.component == "db"');
    expect((await runCli(home, ['message', 'send', '--from', 'b', '--to', '/service/echo', 'local'])).stdout).toBe('local\n');

    // policy test needs no node.
    const test = await runCliJson(home, ['policy', 'test', '--expression', 'subject.component == "db" && action == "handle"', '--subject', 'component=db', '--action', 'handle']);
    expect(test.json).toMatchObject({ allowed: true });

    // Deleting the policy closes echo to remote callers again; policies survive a restart.
    expect((await runCli(home, ['policy', 'create', '--at', 'b', '--resource-type', 'tcp-outlet', '--expression', 'subject.env in ["prod"]'])).code).toBe(0);
    expect((await runCli(home, ['policy', 'delete', '--at', 'b', '--resource', 'echo'])).code).toBe(0);
    expect((await runCli(home, ['message', 'send', '--from', 'a', '--to', '/node/b/service/echo', '--timeout', '800ms', 'three'])).code).toBe(5);
    expect((await runCli(home, ['node', 'stop', 'b'])).code).toBe(0);
    expect((await runCli(home, ['node', 'start', 'b'])).code).toBe(0);
    const after = (await runCliJson(home, ['policy', 'list', '--at', 'b'])).json as { policies: PolicyView[] };
    expect(after.policies.map((p) => p.label)).toEqual(['resource-type tcp-outlet']);
    const missing = await runCliJson(home, ['policy', 'show', '--at', 'b', '--resource', 'echo']);
    expect([missing.code, (missing.json as { error: { kind: string } }).error.kind]).toEqual([3, 'not-found']);
  }, 120_000);
});
