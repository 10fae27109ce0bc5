import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, assertBuilt, cleanupHome, recordedPids, runCli, runCliJson, tempHome } from './support/cli.js';

/** The read-only commands and the key of the list each returns. */
const READ_ONLY: ReadonlyArray<readonly [readonly string[], string]> = [
  [['tcp-inlet', 'list'], 'inlets'],
  [['tcp-outlet', 'list'], 'outlets'],
  [['relay', 'list'], 'relays'],
  [['secure-channel', 'list'], 'channels'],
  [['policy', 'list'], 'policies'],
  [['policy', 'denials'], 'denials'],
];

describe('read-only commands never start a node', () => {
  const empty = tempHome('sym-it-ro0-');
  const home = tempHome('sym-it-ro-');

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(empty);
    await cleanupHome(home);
  });

  it('in a home without nodes: say so, exit 0, create nothing', async () => {
    for (const [args, key] of READ_ONLY) {
      const text = await runCli(empty, [...args]);
      expect([args.join(' '), text.code, text.stderr]).toEqual([args.join(' '), 0, '']);
      expect(text.stdout).toContain('This home has no node');
      const json = await runCliJson(empty, [...args]);
      expect(json.json).toMatchObject({ node: null, running: false, [key]: [] });
    }
    expect(existsSync(join(empty, 'nodes'))).toBe(false);
    expect(recordedPids(empty)).toEqual([]);
  }, 120_000);

  it('for a stopped node: print what its configuration and log know, leave it stopped', async () => {
    for (const name of ['a', 'b']) expect((await runCli(home, ['node', 'create', name])).code).toBe(0);
    expect((await runCli(home, ['tcp-outlet', 'create', '--at', 'b', '--to', '127.0.0.1:9', '--allow', 'subject.component == "x"'])).code).toBe(0);
    expect((await runCli(home, ['tcp-inlet', 'create', '--at', 'a', '--from', '127.0.0.1:0', '--to', '/node/b/service/api'])).code).toBe(0);
    expect((await runCli(home, ['policy', 'create', '--at', 'b', '--resource', 'echo', '--expression', 'subject.component == "db"'])).code).toBe(0);
    // A bare TCP sender is denied by b's echo policy: b logs the denial.
    expect((await runCli(home, ['message', 'send', '--from', 'a', '--to', '/node/b/service/echo', '--timeout', '800ms', 'x'])).code).toBe(5);
    for (const name of ['a', 'b']) expect((await runCli(home, ['node', 'stop', name])).code).toBe(0);
    const pidsBefore = recordedPids(home);

    const inlets = await runCliJson(home, ['tcp-inlet', 'list', '--at', 'a']);
    expect(inlets.json).toMatchObject({ node: 'a', running: false, inlets: [{ to: '/node/b/service/api', outlet: 'outlet' }] });
    const inletText = await runCli(home, ['tcp-inlet', 'list', '--at', 'a']);
    expect(inletText.stdout).toMatch(/^Node a is not running \(start it with: symbolon node start a\); its saved TCP inlets:\nLISTEN\s+VIA\/TO\s+OUTLET\n127\.0\.0\.1:\d+\s+to \/node\/b\/service\/api\s+outlet\n$/);

    const outlets = await runCliJson(home, ['tcp-outlet', 'list', '--at', 'b']);
    expect(outlets.json).toMatchObject({ node: 'b', running: false, outlets: [{ address: 'outlet', target: '127.0.0.1:9', allow: 'subject.component == "x"' }] });
    const policies = await runCliJson(home, ['policy', 'list', '--at', 'b']);
    expect((policies.json as { policies: Array<{ label: string }> }).policies.map((p) => p.label).sort()).toEqual(['resource echo', 'resource outlet']);
    const denials = await runCliJson(home, ['policy', 'denials', '--at', 'b']);
    expect(denials.json).toMatchObject({ node: 'b', running: false, source: 'decision-log', denials: [{ resource: { type: 'worker', name: 'echo' }, action: 'handle' }] });
    expect((denials.json as { denials: Array<{ reason: string }> }).denials[0]!.reason).toContain('subject.component == "db"');
    expect((await runCli(home, ['policy', 'denials', '--at', 'b'])).stdout).toMatch(/denials recorded in its decision log[^\n]*\nTIME\s+RESOURCE[^\n]*\n\S+Z\s+worker\/echo\s+handle/);
    expect((await runCliJson(home, ['secure-channel', 'list', '--at', 'a'])).json).toEqual({ node: 'a', running: false, channels: [] });
    expect((await runCliJson(home, ['relay', 'list'])).json).toEqual({ node: 'a', running: false, relays: [] });

    // Nothing was started: no new pid, both nodes still stopped.
    expect(recordedPids(home)).toEqual(pidsBefore);
    const status = (await runCliJson(home, ['node', 'list'])).json as { nodes: Array<{ name: string; status: string }> };
    expect(status.nodes.map((n) => [n.name, n.status])).toEqual([['a', 'stopped'], ['b', 'stopped']]);
    for (const pid of recordedPids(home)) expect(alive(pid)).toBe(false);

    // A node that does not exist is an error, not a new node.
    const missing = await runCli(home, ['tcp-inlet', 'list', '--at', 'nope']);
    expect([missing.code, missing.stderr]).toEqual([3, "Error: node 'nope' does not exist (create it with: symbolon node create nope)\n"]);
    expect(existsSync(join(home, 'nodes', 'nope'))).toBe(false);
  }, 180_000);
});
