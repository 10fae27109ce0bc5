import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, CLI_BIN, REPO_ROOT, runCli, runCliJson, tempHome } from './support/cli.js';
import { waitFor } from './support/scenario.js';

interface NodeStatus { name: string; status: string; pid: number | null; listener: string; uptimeSeconds: number | null; exit: { kind: string; at: string | null; reason: string } | null }
interface HomeStatus { at: string; identity: { name: string; identifier: string; vault: string } | null; nodes: NodeStatus[]; running: number }

/** Starts the CLI as a long-running process, collecting its stdout. */
function start(home: string, args: readonly string[]): { child: ChildProcess; out: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, SYMBOLON_HOME: home, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  child.stderr!.on('data', (d: Buffer) => { out += d.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

describe('symbolon status and node logs --follow', () => {
  const home = tempHome('sym-it-status-');
  const children: ChildProcess[] = [];

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await cleanupHome(home);
  });

  it('shows running, stopped and crashed nodes with how each ended, and never starts one', async () => {
    for (const name of ['a', 'b', 'c']) expect((await runCli(home, ['node', 'create', name])).code).toBe(0);
    expect((await runCli(home, ['node', 'stop', 'b'])).code).toBe(0);
    const pidC = ((await runCliJson(home, ['node', 'show', 'c'])).json as { pid: number }).pid;
    process.kill(pidC, 'SIGKILL');
    await waitFor('node c to die', () => { try { process.kill(pidC, 0); return undefined; } catch { return true; } });

    const status = (await runCliJson(home, ['status'])).json as HomeStatus;
    expect(Number.isNaN(Date.parse(status.at))).toBe(false);
    expect(status.identity).toMatchObject({ name: 'default', identifier: expect.stringMatching(/^I[0-9a-f]+$/), vault: 'default' });
    const byName = Object.fromEntries(status.nodes.map((n) => [n.name, n]));
    expect(byName.a).toMatchObject({ status: 'running', pid: expect.any(Number), exit: null, listener: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(byName.a!.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(byName.b).toMatchObject({ status: 'stopped', pid: null, exit: { kind: 'stopped', reason: 'stopped by SIGTERM', at: expect.stringMatching(/Z$/) } });
    expect(byName.c).toMatchObject({ status: 'crashed', pid: null, exit: { kind: 'crashed', reason: expect.stringMatching(/^crashed: /) } });
    expect(status.running).toBe(1);

    const text = await runCli(home, ['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Home: {6}\S+\nIdentity: {2}default {2}I[0-9a-f]+ {2}\(vault default\)\n/);
    expect(text.stdout).toMatch(/\n {2}a {2}running {2}pid \d+ {2}listener 127\.0\.0\.1:\d+ {2}up \d+s {2}\(default\)\n/);
    expect(text.stdout).toMatch(/\n {2}b {2}stopped: stopped by SIGTERM \(at \S+Z\) {2}listener /);
    expect(text.stdout).toMatch(/\n {2}c {2}crashed: crashed: [^\n]+listener /);
    // Still one running node: status started nothing.
    expect(((await runCliJson(home, ['status'])).json as HomeStatus).running).toBe(1);
  }, 120_000);

  it('--watch prints a view per interval and ends on --count or Ctrl-C', async () => {
    const counted = await runCli(home, ['status', '--watch', '--interval', '200ms', '--count', '2', '--json']);
    expect(counted.code).toBe(0);
    const docs = counted.stdout.trim().split('\n').map((l) => JSON.parse(l) as HomeStatus);
    expect(docs).toHaveLength(2);
    expect(Date.parse(docs[1]!.at)).toBeGreaterThan(Date.parse(docs[0]!.at));

    const watch = start(home, ['status', '--watch', '--interval', '300ms']);
    children.push(watch.child);
    await waitFor('two views', () => ((watch.out().match(/^Home:/gm) ?? []).length >= 2 ? true : undefined), { timeoutMs: 20_000 });
    watch.child.kill('SIGINT');
    expect(await watch.exited).toBe(0);
  }, 60_000);

  it('node logs --follow prints new lines at or above --level until Ctrl-C', async () => {
    const follow = start(home, ['node', 'logs', 'a', '--follow', '--level', 'warn', '--raw', '--since', '1s']);
    children.push(follow.child);
    await new Promise((r) => setTimeout(r, 1000));
    // A denial on node a is logged as a warning; the policy creation as info.
    expect((await runCli(home, ['policy', 'create', '--at', 'a', '--resource', 'echo', '--expression', 'subject.component == "db"'])).code).toBe(0);
    expect((await runCli(home, ['node', 'start', 'b'])).code).toBe(0);
    expect((await runCli(home, ['message', 'send', '--from', 'b', '--to', '/node/a/service/echo', '--timeout', '500ms', 'x'])).code).toBe(5);
    await waitFor('the denial line', () => (follow.out().includes('"msg":"access denied"') ? true : undefined), { timeoutMs: 20_000 });
    expect(follow.out()).not.toContain('"msg":"policy created"');
    for (const line of follow.out().trim().split('\n')) expect((JSON.parse(line) as { level: number }).level).toBeGreaterThanOrEqual(40);
    follow.child.kill('SIGINT');
    expect(await follow.exited).toBe(0);

    const since = await runCliJson(home, ['node', 'logs', 'a', '--since', '1h', '--level', 'error']);
    expect((since.json as { lines: Array<{ level: number }> }).lines.every((l) => l.level >= 50)).toBe(true);
    const bad = await runCli(home, ['node', 'logs', 'a', '--level', 'loud']);
    expect(bad.code).toBe(2);
  }, 90_000);
});
