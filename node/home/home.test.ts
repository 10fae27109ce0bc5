import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Home, NODE_NAME_RE, validateNodeName } from './home.js';
import { NodeConfigFile, readNodeConfig, validateListenerAddress } from './node-config.js';
import { createNode, deleteNode, nodeSummary } from '../client/node-lifecycle.js';
import { readJsonFile, writeJsonFileAtomic } from './json-file.js';

describe('Home', () => {
  let dir: string;
  let home: Home;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-home-'));
    home = new Home(join(dir, 'h'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes SYMBOLON_HOME, else ~/.symbolon', () => {
    expect(Home.fromEnv({ SYMBOLON_HOME: '/x/y' }).root).toBe('/x/y');
    expect(Home.fromEnv({}).root.endsWith('/.symbolon')).toBe(true);
  });

  it('creates the home and node folders private to the owner, config files 0600', () => {
    createNode(home, 'n1');
    expect(statSync(home.root).mode & 0o777).toBe(0o700);
    expect(statSync(home.node('n1').dir).mode & 0o777).toBe(0o700);
    expect(statSync(home.node('n1').config).mode & 0o777).toBe(0o600);
    expect(statSync(join(home.root, 'config.json')).mode & 0o777).toBe(0o600);
  });

  it('makes the first node the default and moves the default when it is deleted', async () => {
    createNode(home, 'b1');
    createNode(home, 'a1');
    expect(home.defaultNode()).toBe('b1');
    expect(home.nodeNames()).toEqual(['a1', 'b1']);
    await deleteNode(home, 'b1');
    expect(home.defaultNode()).toBe('a1');
    await deleteNode(home, 'a1');
    expect(home.defaultNode()).toBeUndefined();
    expect(home.readConfig()).toEqual({ version: 1 });
  });

  it('keeps unknown home config fields on update', () => {
    home.updateConfig((c) => ({ ...c, defaultIdentity: 'alice' }));
    createNode(home, 'n1');
    expect(home.readConfig()).toEqual({ version: 1, defaultIdentity: 'alice', defaultNode: 'n1' });
  });

  it('refuses a duplicate node and a bad listener address', () => {
    createNode(home, 'n1');
    expect(() => createNode(home, 'n1')).toThrow("node 'n1' already exists");
    expect(() => createNode(home, 'n2', { tcpListenerAddress: 'nope' })).toThrow(/invalid TCP listener address 'nope'/);
    expect(() => validateListenerAddress('127.0.0.1:70000')).toThrow();
    expect(validateListenerAddress('127.0.0.1:4000')).toBe('127.0.0.1:4000');
  });

  it('summarizes a node that never ran as stopped with its configured listener', () => {
    createNode(home, 'n1', { tcpListenerAddress: '127.0.0.1:4555' });
    expect(nodeSummary(home, 'n1')).toMatchObject({ name: 'n1', status: 'stopped', pid: null, isDefault: true, tcpListenerAddress: '127.0.0.1:4555' });
  });

  it('persists service sections atomically', () => {
    createNode(home, 'n1');
    const file = new NodeConfigFile(home, 'n1');
    file.setSection('tcp-inlets', [{ from: '127.0.0.1:1' }]);
    file.setSection('relays', ['r1']);
    file.setSection('relays', undefined);
    expect(readNodeConfig(home, 'n1').sections).toEqual({ 'tcp-inlets': [{ from: '127.0.0.1:1' }] });
    expect(() => readNodeConfig(home, 'zz')).toThrow("node 'zz' does not exist");
  });

  it('places a control socket outside a home whose path is too long', () => {
    const deep = new Home(join(dir, 'x'.repeat(90)));
    const path = deep.controlSocketPath('n1');
    expect(path.startsWith(deep.root)).toBe(false);
    expect(Buffer.byteLength(path)).toBeLessThanOrEqual(100);
    expect(home.controlSocketPath('n1')).toBe(join(home.node('n1').dir, 'control.sock'));
  });
});

describe('node names', () => {
  it('accepts valid names and rejects others with one clear line', () => {
    for (const ok of ['n1', 'default', 'a', 'bank-db_2', '0x']) expect(validateNodeName(ok)).toBe(ok);
    for (const bad of ['', 'N1', '-a', '_a', 'a b', 'a/b', '..', 'x'.repeat(64), 'é']) {
      expect(() => validateNodeName(bad)).toThrow(/^invalid node name/);
    }
  });

  it('never lets a name escape the nodes folder', () => {
    fc.assert(fc.property(fc.string({ maxLength: 70 }), (name) => {
      const home = new Home('/h');
      let ok = true;
      try { home.node(name); } catch { ok = false; }
      expect(ok).toBe(NODE_NAME_RE.test(name));
      if (ok) expect(home.node(name).dir).toBe(`/h/nodes/${name}`);
    }));
  });
});

describe('json files', () => {
  it('writes atomically with mode 0600 and reads back; missing is undefined; garbage is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sym-json-'));
    try {
      const p = join(dir, 'a.json');
      expect(readJsonFile(p)).toBeUndefined();
      writeJsonFileAtomic(p, { a: 1 });
      writeJsonFileAtomic(p, { a: 2 });
      expect(readJsonFile(p)).toEqual({ a: 2 });
      expect(statSync(p).mode & 0o777).toBe(0o600);
      writeJsonFileAtomic(join(dir, 'b.json'), 1);
      expect(readFileSync(join(dir, 'b.json'), 'utf8')).toBe('1\n');
      rmSync(p);
      writeJsonFileAtomic(p, 'x');
      expect(() => { writeJsonFileAtomic(join(dir, 'missing', 'c.json'), 1); }).toThrow(/cannot write/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('isProcessAlive', () => {
  it('sees this process, not an exited child (even before it is reaped)', async () => {
    const { isProcessAlive } = await import('./node-state.js');
    const { spawn } = await import('node:child_process');
    expect(isProcessAlive(process.pid)).toBe(true);
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    expect(isProcessAlive(child.pid!)).toBe(false);
  });
});
