import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI_BIN, cleanupHome, REPO_ROOT, runCli, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';
import { Scenario, waitFor } from './support/scenario.js';

const EXAMPLES = join(REPO_ROOT, 'examples');

/** Sends `text` through 127.0.0.1:`port` and resolves with what comes back before the server closes ('' when refused). */
function echoThrough(port: number, text: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => socket.end(text));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('utf8')); });
  });
}

describe('symbolon run: the README scenario from the example files', () => {
  let s: Scenario;
  let echo: Server;
  let tickets: string;
  let inletPort: number;
  let edited: string;
  const env: Record<string, string> = {};

  beforeAll(async () => {
    assertBuilt();
    echo = createServer({ allowHalfOpen: true }, (c) => { c.on('error', () => undefined); c.pipe(c); });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    tickets = mkdtempSync(join(tmpdir(), 'sym-run-'));
    inletPort = await freePort();
    Object.assign(env, {
      PROJECT_LISTEN: `127.0.0.1:${await freePort()}`,
      POSTGRES_ADDRESS: `127.0.0.1:${(echo.address() as { port: number }).port}`,
      INLET_ADDRESS: `127.0.0.1:${inletPort}`,
    });
    s = Scenario.create({
      prefix: 'sym-run-',
      env: {
        admin: env,
        bank: { ...env, SYMBOLON_ENROLLMENT_TICKET: join(tickets, 'bank.ticket') },
        analysis: { ...env, SYMBOLON_ENROLLMENT_TICKET: join(tickets, 'analysis.ticket') },
      },
    });
    // The analysis file without its inlet, for the convergence test.
    edited = join(tickets, 'analysis-no-inlet.yaml');
    writeFileSync(edited, readFileSync(join(EXAMPLES, 'analysis.yaml'), 'utf8').replace(/tcp-inlets:[\s\S]*$/, ''));
  }, 60_000);

  afterAll(async () => {
    await s?.cleanup();
    echo?.close();
    if (tickets) rmSync(tickets, { recursive: true, force: true });
  });

  it('brings up project, bank and analysis; data passes through the portal', async () => {
    const dry = await s.ok('admin', ['run', join(EXAMPLES, 'project.yaml'), '--dry-run']);
    expect(dry).toContain('+ project bank');
    expect(existsSync(join(s.homes.admin, 'nodes', 'bank'))).toBe(false); // a dry run creates nothing

    const project = await s.ok('admin', ['run', join(EXAMPLES, 'project.yaml'), '--background'], { timeoutMs: 90_000 });
    expect(project).toContain('+ project bank');
    await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres', '--output', join(tickets, 'bank.ticket')]);
    await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis', '--output', join(tickets, 'analysis.ticket')]);

    const bank = await s.ok('bank', ['run', join(EXAMPLES, 'bank.yaml'), '--background'], { timeoutMs: 90_000 });
    for (const line of ['+ identity bank', '+ node bank', '+ enrollment bank', '+ tcp-outlet outlet', '+ relay postgres']) expect(bank).toContain(line);
    const analysis = await s.ok('analysis', ['run', join(EXAMPLES, 'analysis.yaml'), '--background'], { timeoutMs: 90_000 });
    expect(analysis).toContain(`+ tcp-inlet 127.0.0.1:${inletPort} (via postgres, allow subject.component == "db")`);

    await waitFor('data through the portal', async () => ((await echoThrough(inletPort, 'select 1')) === 'select 1' ? true : undefined), { timeoutMs: 30_000 });
  }, 240_000);

  it('running the same files again changes nothing', async () => {
    for (const [actor, file] of [['admin', 'project.yaml'], ['bank', 'bank.yaml'], ['analysis', 'analysis.yaml']] as const) {
      const out = await s.ok(actor, ['run', join(EXAMPLES, file), '--background'], { timeoutMs: 60_000 });
      expect(out.trim(), `${actor}: ${out}`).toBe(`${join(EXAMPLES, file)}: no changes (node ${actor === 'admin' ? 'bank' : actor})`);
      const dry = await s.ok(actor, ['run', join(EXAMPLES, file), '--dry-run']);
      expect(dry).toContain('no changes');
    }
  }, 240_000);

  it('a bad file fails naming its line and changes nothing', async () => {
    const bad = join(tickets, 'analysis-bad.yaml');
    writeFileSync(bad, [
      'node:', '  name: analysis',
      'tcp-inlets:',
      `  - from: 127.0.0.1:${inletPort}`, '    via: postgres', '    allow: subject.component == "db"',
      `  - from: 127.0.0.1:${await freePort()}`, '    via: postgres', '    allow: subjct.component == "db"',
      '',
    ].join('\n'));
    const result = await s.run('analysis', ['run', bad, '--background']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: tcp-inlets[1].allow: unknown variable subjct (line 9)`);
    const list = JSON.parse(await s.ok('analysis', ['tcp-inlet', 'list', '--at', 'analysis', '--json'])) as { inlets: unknown[] };
    expect(list.inlets).toHaveLength(1);
    expect(await echoThrough(inletPort, 'still here')).toBe('still here');
  }, 120_000);

  it('an inlet dropped from the file is removed (dry run first: nothing changes)', async () => {
    const dry = await s.ok('analysis', ['run', edited, '--dry-run']);
    expect(dry).toContain(`- tcp-inlet 127.0.0.1:${inletPort}`);
    expect(await echoThrough(inletPort, 'dry')).toBe('dry');

    const out = await s.ok('analysis', ['run', edited, '--background'], { timeoutMs: 60_000 });
    expect(out).toContain(`- tcp-inlet 127.0.0.1:${inletPort}`);
    const list = JSON.parse(await s.ok('analysis', ['tcp-inlet', 'list', '--at', 'analysis', '--json'])) as { inlets: unknown[] };
    expect(list.inlets).toEqual([]);
    const policies = JSON.parse(await s.ok('analysis', ['policy', 'list', '--at', 'analysis', '--json'])) as { policies: unknown[] };
    expect(policies.policies).toEqual([]);
    expect(await echoThrough(inletPort, 'gone')).toBe('');
  }, 120_000);

  it('runs a node in the foreground, applies the file once it is up, and stops on SIGTERM', async () => {
    await s.ok('analysis', ['node', 'stop', 'analysis']);
    const child: ChildProcess = spawn(process.execPath, [CLI_BIN, 'run', join(EXAMPLES, 'analysis.yaml')], {
      cwd: REPO_ROOT, env: { ...process.env, ...env, SYMBOLON_HOME: s.homes.analysis, SYMBOLON_ENROLLMENT_TICKET: join(tickets, 'analysis.ticket') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor('the re-added inlet', async () => ((await echoThrough(inletPort, 'fg')) === 'fg' ? true : undefined), { timeoutMs: 60_000 });
      expect(output).toContain(`+ tcp-inlet 127.0.0.1:${inletPort}`);
      expect(output).toContain('"msg":"node started"');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(output).toContain('"msg":"node stopped"');
  }, 120_000);
});

describe('bounded node logs', () => {
  let home: string;
  beforeAll(() => { assertBuilt(); home = tempHome(); });
  afterAll(async () => { await cleanupHome(home); });

  it('a node log filled past its bound stays within max-size x max-files, and node logs reads across the files', async () => {
    const created = await runCli(home, ['node', 'create', 'lg', '--log-max-size', '16KB', '--log-max-files', '3', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const port = Number((JSON.parse(created.stdout) as { tcpListenerAddress: string }).tcpListenerAddress.split(':')[1]);
    // Each connection with an unknown protocol version is logged (about 250 bytes): 400 of them are ~100 KB.
    for (let round = 0; round < 100; round++) {
      await Promise.all([0, 1, 2, 3].map(() => new Promise<void>((resolve) => {
        const c = connect({ port, host: '127.0.0.1' }, () => c.end(Buffer.from([99, 0, 0, 0, 1, 0])));
        c.on('error', () => resolve());
        c.on('close', () => resolve());
      })));
    }
    const dir = join(home, 'nodes', 'lg');
    await waitFor('rotation', () => (readdirSync(dir).includes('node.log.2') ? true : undefined), { timeoutMs: 10_000 });
    const logs = readdirSync(dir).filter((n) => n.startsWith('node.log'));
    expect(logs.sort()).toEqual(['node.log', 'node.log.1', 'node.log.2']);
    for (const name of logs) expect(statSync(join(dir, name)).size).toBeLessThanOrEqual(16 * 1024);

    const tail = await runCli(home, ['node', 'logs', 'lg', '--lines', '150', '--json']);
    const lines = (JSON.parse(tail.stdout) as { lines: Array<{ connection?: string }> }).lines;
    expect(lines.length).toBe(150); // more than node.log alone holds: read across rotated files
  }, 120_000);
});
