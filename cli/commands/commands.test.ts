import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../testing/run-command.js';
import Status from './status.js';
import NodeList from './node/list.js';
import NodeShow from './node/show.js';
import NodeDelete from './node/delete.js';
import NodeLogs from './node/logs.js';
import MessageSend from './message/send.js';
import NodeCreate from './node/create.js';
import Version from './version.js';
import { Home } from '../../node/home/home.js';
import { createNode } from '../../node/client/node-lifecycle.js';

const run = runCommand;

describe('commands (in-process)', () => {
  let dir: string;
  let saved: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-cmd-'));
    saved = process.env.SYMBOLON_HOME;
    process.env.SYMBOLON_HOME = join(dir, 'home');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SYMBOLON_HOME;
    else process.env.SYMBOLON_HOME = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('status and node list describe an empty home, and a stopped node', async () => {
    let r = await run(Status, ['--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ home: join(dir, 'home'), identity: null, defaultNode: null, defaultProject: null, projects: [], nodes: [], running: 0 });
    expect(Date.parse((JSON.parse(r.stdout) as { at: string }).at)).toBeGreaterThan(0);
    r = await run(NodeList, []);
    expect(r.stdout).toBe('No nodes. Create one with: symbolon node create NAME\n');
    createNode(new Home(join(dir, 'home')), 'n1', { tcpListenerAddress: '127.0.0.1:4999' });
    r = await run(NodeList, []);
    expect(r.stdout).toBe('NAME  STATUS   PID  TCP LISTENER    DEFAULT\nn1    stopped  -    127.0.0.1:4999  yes\n');
    r = await run(NodeShow, ['n1', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ name: 'n1', status: 'stopped', pid: null, workers: null, connections: [] });
  });

  it('reports a missing node with exit code 3, in text and JSON', async () => {
    let r = await run(NodeShow, ['ghost']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("Error: node 'ghost' does not exist\n");
    expect(r.stdout).toBe('');
    r = await run(NodeLogs, ['ghost', '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toEqual({ error: { origin: 'cli', kind: 'not-found', message: "node 'ghost' does not exist" } });
  });

  it('reports invalid input with exit code 2 and no stack trace', async () => {
    let r = await run(NodeDelete, []);
    expect([r.code, r.stderr]).toEqual([2, 'Error: give either a node NAME or --all\n']);
    r = await run(NodeCreate, ['Bad Name']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Error: invalid node name 'Bad Name'/);
    r = await run(MessageSend, ['--to', 'service/echo', 'hi']);
    expect([r.code, r.stderr]).toEqual([2, "Error: route must start with '/', got 'service/echo'\n"]);
    r = await run(MessageSend, ['hi', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error).toMatchObject({ origin: 'cli', kind: 'invalid' });
    expect(JSON.parse(r.stdout).error.message).toMatch(/Missing required flag to/);
  });

  it('refuses to send to a node of the home that is not running', async () => {
    createNode(new Home(join(dir, 'home')), 'n2');
    const r = await run(MessageSend, ['--from', 'n2', '--to', '/service/echo', 'hi']);
    expect([r.code, r.stderr]).toEqual([5, "Error: node 'n2' is not running (start it with: symbolon node start n2)\n"]);
    const r2 = await run(MessageSend, ['--from', 'n2', '--to', '/node/n9/service/echo', 'hi']);
    expect([r2.code, r2.stderr]).toEqual([3, "Error: node 'n9' does not exist\n"]);
  });

  it('every command has a description and examples', async () => {
    for (const cmd of [Status, NodeList, NodeShow, NodeDelete, NodeLogs, MessageSend, NodeCreate]) {
      expect(cmd.description, cmd.name).toBeTruthy();
      expect(cmd.examples?.length, cmd.name).toBeGreaterThan(0);
    }
  });
  it('version prints the version, commit, Node.js version and platform', async () => {
    const r = await run(Version, ['--json']);
    expect(r.json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), commit: expect.stringMatching(/^([0-9a-f]{7,40}|unknown)$/), node: process.versions.node, platform: process.platform, arch: process.arch });
    expect((await run(Version, [])).stdout).toMatch(/^symbolon \d+\.\d+\.\d+ \(\S+\) node \S+ \S+-\S+\n$/);
  });
});
