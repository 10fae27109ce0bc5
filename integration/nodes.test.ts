import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { alive, assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

interface Created { name: string; status: string; pid: number; isDefault: boolean; tcpListenerAddress: string; controlSocket: string }
interface Summary { name: string; status: string; pid: number | null; tcpListenerAddress: string }

describe('background nodes through the real CLI', () => {
  const home = tempHome();
  const started = new Map<string, number>();

  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(home, [...started.values()]);
  });

  it('starts three nodes and echoes across two TCP hops', async () => {
    let n3 = '';
    for (const name of ['n1', 'n3', 'n2']) {
      // n2 forwards n1's messages on to n3, which a node refuses unless n3 is an allowed destination.
      const { code, json } = await runCliJson(home, ['node', 'create', name, ...(name === 'n2' ? ['--allow-tcp-forwarding', n3] : [])]);
      expect(code).toBe(0);
      const node = json as Created;
      if (name === 'n3') n3 = node.tcpListenerAddress;
      // echo answers remote callers only when a policy says so.
      if (name !== 'n1') expect((await runCli(home, ['policy', 'create', '--at', name, '--resource', 'echo', '--expression', 'true'])).code).toBe(0);
      started.set(name, node.pid);
      expect(node).toMatchObject({ name, status: 'running', isDefault: name === 'n1' });
      expect(node.tcpListenerAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(statSync(node.controlSocket).mode & 0o777).toBe(0o600);
      expect(alive(node.pid)).toBe(true);
    }
    const text = await runCli(home, ['message', 'send', '--from', 'n1', '--to', '/node/n2/node/n3/service/echo', 'hello']);
    expect([text.code, text.stdout, text.stderr]).toEqual([0, 'hello\n', '']);
    const { json } = await runCliJson(home, ['message', 'send', '--from', 'n1', '--to', '/node/n2/node/n3/service/echo', 'hello again']);
    expect(json).toMatchObject({ from: 'n1', to: '/node/n2/node/n3/service/echo', reply: 'hello again', replyBytes: 11 });
    expect((json as { route: string }).route).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ip4\/127\.0\.0\.1\/tcp\/\d+\/service\/echo$/);
  }, 90_000);

  it('lists, shows and summarizes the nodes', async () => {
    const [listR, showR, text, statusR, logs] = await Promise.all([
      runCliJson(home, ['node', 'list']),
      runCliJson(home, ['node', 'show', 'n2']),
      runCli(home, ['node', 'show', 'n2']),
      runCliJson(home, ['status']),
      runCli(home, ['node', 'logs', 'n1', '--lines', '20']),
    ]);
    const list = listR.json as { nodes: Summary[] };
    expect(list.nodes.map((n) => [n.name, n.status, n.pid]).sort()).toEqual([...started].map(([n, pid]) => [n, 'running', pid]).sort());
    const show = showR.json as { workers: number; connections: unknown[]; uptimeMs: number; status: string };
    expect(show.status).toBe('running');
    expect(show.workers).toBeGreaterThanOrEqual(1);
    expect(show.connections.length).toBeGreaterThanOrEqual(1);
    expect(show.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(text.stdout).toMatch(/status:\s+running/);
    expect(statusR.json).toMatchObject({ defaultNode: 'n1', running: 3 });
    expect(logs.stdout).toContain('node started');
  });

  it('reports errors as one line with an exit code by kind', async () => {
    const [unknown, bad, silent, dup, verb, ghost] = await Promise.all([
      runCli(home, ['message', 'send', '--from', 'n1', '--to', '/node/nope/service/echo', 'hi']),
      runCli(home, ['message', 'send', '--from', 'n1', '--to', '/bogus/x', 'hi']),
      runCli(home, ['message', 'send', '--from', 'n1', '--to', '/service/nothing', '--timeout', '300ms', 'hi']),
      runCli(home, ['node', 'create', 'n1']),
      runCli(home, ['node', 'frobnicate']),
      runCliJson(home, ['node', 'show', 'ghost']),
    ]);
    expect([unknown.code, unknown.stderr, unknown.stdout]).toEqual([3, "Error: node 'nope' does not exist\n", '']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^Error: [^\n]+\n$/);
    expect([silent.code, silent.stderr]).toEqual([5, 'Error: no reply from /service/nothing within 300 ms\n']);
    expect([dup.code, dup.stderr]).toEqual([6, "Error: node 'n1' already exists\n"]);
    expect(verb.code).not.toBe(0);
    expect(verb.stderr).not.toMatch(/\n\s+at /);
    expect(ghost).toMatchObject({ code: 3, json: { error: { origin: 'cli', kind: 'not-found', message: "node 'ghost' does not exist" } } });
  });

  it('restarts a node from its configuration on the same fixed port', async () => {
    const port = await freePort();
    const created = (await runCliJson(home, ['node', 'create', 'n4', '--tcp-listener-address', `127.0.0.1:${port}`])).json as Created;
    started.set('n4', created.pid);
    expect(created.tcpListenerAddress).toBe(`127.0.0.1:${port}`);
    expect((await runCli(home, ['policy', 'create', '--at', 'n4', '--resource', 'echo', '--expression', 'true'])).code).toBe(0);
    const stop = await runCliJson(home, ['node', 'stop', 'n4']);
    expect(stop.json).toMatchObject({ name: 'n4', status: 'stopped', wasRunning: true });
    expect(alive(created.pid)).toBe(false);
    const again = (await runCliJson(home, ['node', 'start', 'n4'])).json as Created;
    started.set('n4', again.pid);
    expect(again.tcpListenerAddress).toBe(`127.0.0.1:${port}`);
    const r = await runCli(home, ['message', 'send', '--from', 'n1', '--to', '/node/n4/service/echo', 'back']);
    expect(r.stdout).toBe('back\n');
  });

  it('says why a node failed to start, shows its log and leaves nothing behind', async () => {
    const taken = ((await runCliJson(home, ['node', 'show', 'n4'])).json as Summary).tcpListenerAddress;
    const r = await runCli(home, ['node', 'create', 'n5', '--tcp-listener-address', taken]);
    expect(r.code).toBe(5);
    expect(r.stderr.split('\n')[0]).toMatch(/^Error: node 'n5' failed to start: /);
    expect(r.stderr).toContain('Last log lines:');
    const list = (await runCliJson(home, ['node', 'list'])).json as { nodes: Summary[] };
    expect(list.nodes.map((n) => n.name)).not.toContain('n5');
  });

  it('shows a killed node as stopped while the others keep serving', async () => {
    process.kill(started.get('n3')!, 'SIGKILL');
    for (let i = 0; i < 100 && alive(started.get('n3')!); i++) await new Promise((r) => setTimeout(r, 20));
    const list = (await runCliJson(home, ['node', 'list'])).json as { nodes: Summary[] };
    expect(list.nodes.find((n) => n.name === 'n3')).toMatchObject({ status: 'stopped', pid: null });
    const ok = await runCli(home, ['message', 'send', '--from', 'n1', '--to', '/node/n2/service/echo', 'still here']);
    expect(ok.stdout).toBe('still here\n');
    const down = await runCli(home, ['message', 'send', '--from', 'n1', '--to', '/node/n3/service/echo', 'hi']);
    expect([down.code, down.stderr]).toEqual([5, "Error: node 'n3' is not running\n"]);
  });

  it('node delete --all stops every process and removes the nodes', async () => {
    const r = await runCliJson(home, ['node', 'delete', '--all', '--yes']);
    expect(r.code).toBe(0);
    expect((r.json as { deleted: string[] }).deleted.sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    for (const pid of started.values()) expect(alive(pid)).toBe(false);
    const list = (await runCliJson(home, ['node', 'list'])).json as { nodes: Summary[] };
    expect(list.nodes).toEqual([]);
  });
});

describe('the default node', () => {
  const home = tempHome();
  beforeAll(() => assertBuilt());
  afterAll(async () => {
    await cleanupHome(home);
  });

  it('is created and started by the first command that needs a node', async () => {
    const r = await runCli(home, ['message', 'send', '--to', '/service/echo', 'hi']);
    expect([r.code, r.stdout]).toEqual([0, 'hi\n']);
    const status = (await runCliJson(home, ['status'])).json as { defaultNode: string; running: number };
    expect(status).toEqual(expect.objectContaining({ defaultNode: 'default', running: 1 }));
  });
});
