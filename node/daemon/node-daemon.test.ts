import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/logger.js';
import { callControl } from '../../core/api/control-client.js';
import { Home } from '../home/home.js';
import { NodeConfigFile } from '../home/node-config.js';
import { createNode } from '../client/node-lifecycle.js';
import { readNodeState } from '../home/node-state.js';
import { NodeDaemon } from './node-daemon.js';
import type { DaemonService } from './service.js';
import { daemonServices } from './services/index.js';
import type { NodeInfo } from '../api/node-info.js';
import type { MessageSendResult } from '../api/message-send.js';
import { NODE_METHODS } from '../api/node-api.js';
import { callNodeSocket } from '../client/node-call.js';
import { AUTHORITY_SECTION } from '../home/project-node.js';

/** A service that persists how many times it was started, as later services persist their state. */
const startsService: DaemonService = {
  name: 'starts',
  start(ctx) {
    const count = (ctx.config.section('starts') as number | undefined ?? 0) + 1;
    ctx.config.setSection('starts', count);
  },
};
const starts = (home: Home, name: string): unknown => new NodeConfigFile(home, name).section('starts');

describe('NodeDaemon (in-process)', () => {
  let dir: string;
  let home: Home;
  const running: NodeDaemon[] = [];

  const start = async (name: string): Promise<NodeDaemon> => {
    const d = await NodeDaemon.start({ home, name, logger: silentLogger, services: [...daemonServices, startsService] });
    running.push(d);
    return d;
  };
  const call = (name: string, method: string, params: Record<string, unknown> = {}): Promise<unknown> =>
    callControl({ path: readNodeState(home, name)!.controlSocket, name }, method, params);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-daemon-'));
    home = new Home(join(dir, 'home'));
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers node.info and routes message.send to another node by name', async () => {
    createNode(home, 'n1');
    createNode(home, 'n2');
    await start('n1');
    await start('n2');
    const state = readNodeState(home, 'n1')!;
    expect(state.pid).toBe(process.pid);
    expect(statSync(state.controlSocket).mode & 0o777).toBe(0o600);
    const info = await call('n1', 'node.info') as NodeInfo;
    expect(info).toMatchObject({ name: 'n1', status: 'running', tcpListenerAddress: state.tcpListenerAddress, controlSocket: state.controlSocket });
    expect(info.workers).toBeGreaterThanOrEqual(2);
    expect(info.methods).toEqual(expect.arrayContaining(['message.send', 'node.info']));
    await call('n2', 'policy.create', { resource: 'echo', expression: 'true' });
    const sent = await call('n1', 'message.send', { to: '/node/n2/service/echo', text: 'héllo' }) as MessageSendResult;
    expect(sent).toMatchObject({ reply: 'héllo', replyBytes: 6, route: `/ip4/${readNodeState(home, 'n2')!.tcpListenerAddress.replace(':', '/tcp/')}/service/echo` });
    await expect(call('n1', 'message.send', { to: '/node/zz/service/echo', text: 'x' })).rejects.toMatchObject({ kind: 'not-found' });
    await expect(call('n1', 'message.send', { to: 7, text: 'x' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(call('n1', 'message.send', { to: '/service/none', text: 'x', timeoutMs: 100 })).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('answers exactly the methods of the node API table (authority.info and the replica methods on project nodes only)', async () => {
    createNode(home, 'n1');
    createNode(home, 'p1');
    new NodeConfigFile(home, 'p1').setSection(AUTHORITY_SECTION, { project: 'p1', route: '/ip4/127.0.0.1/tcp/1', admin: 'I0123456789abcdef0123456789abcdef' });
    await NodeDaemon.start({ home, name: 'n1', logger: silentLogger }).then((d) => running.push(d));
    await NodeDaemon.start({ home, name: 'p1', logger: silentLogger }).then((d) => running.push(d));
    const methods = async (name: string): Promise<readonly string[]> =>
      (await callNodeSocket({ path: readNodeState(home, name)!.controlSocket, name }, 'node.info', {})).methods;
    expect(await methods('p1')).toEqual(NODE_METHODS);
    const projectOnly = ['authority.info', 'authority.replicas', 'authority.replica-remove'];
    expect(await methods('n1')).toEqual(NODE_METHODS.filter((m) => !projectOnly.includes(m)));
    await expect(callNodeSocket({ path: readNodeState(home, 'p1')!.controlSocket, name: 'p1' }, 'authority.info', {}))
      .resolves.toMatchObject({ project: 'p1', storage: 'sqlite' });
    await expect(callNodeSocket({ path: readNodeState(home, 'p1')!.controlSocket, name: 'p1' }, 'authority.replicas', {}))
      .rejects.toMatchObject({ kind: 'invalid', message: expect.stringContaining('replicas need a project created with --database') });
    await expect(call('n1', 'node.info', { verbose: true })).rejects.toMatchObject({ kind: 'invalid', message: 'unknown parameter "verbose"' });
  });

  it('restores persisted sections on restart and removes its files on stop', async () => {
    createNode(home, 'n1');
    let d = await start('n1');
    expect(starts(home, 'n1')).toBe(1);
    const socket = readNodeState(home, 'n1')!.controlSocket;
    await d.stop();
    expect(existsSync(socket)).toBe(false);
    expect(existsSync(home.node('n1').pid)).toBe(false);
    expect(existsSync(home.node('n1').state)).toBe(false);
    d = await start('n1');
    expect(starts(home, 'n1')).toBe(2);
  });

  it('fails to start on a taken port and leaves nothing behind', async () => {
    createNode(home, 'n1');
    await start('n1');
    createNode(home, 'n2', { tcpListenerAddress: readNodeState(home, 'n1')!.tcpListenerAddress });
    await expect(NodeDaemon.start({ home, name: 'n2', logger: silentLogger })).rejects.toThrow();
    expect(existsSync(home.controlSocketPath('n2'))).toBe(false);
    expect(readNodeState(home, 'n2')).toBeUndefined();
  });
});
