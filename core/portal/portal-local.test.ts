import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Node } from '../node/node.js';
import { local } from '../routing/address.js';
import { TcpInlet } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { startEchoServer } from './testing/echo-server.js';
import type { EchoServer } from './testing/echo-server.js';
import { exchange, openClient } from './testing/tcp-client.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ node: Node; echo: EchoServer; inlet: TcpInlet; outlet: TcpOutlet; address: string }> {
  const echo = await startEchoServer();
  cleanups.push(() => echo.close());
  const node = new Node({ name: 'n' });
  cleanups.push(() => node.stop());
  const outlet = new TcpOutlet(node, { target: echo.address });
  await outlet.start();
  const inlet = new TcpInlet(node, { listen: '127.0.0.1:0', outlet: [local('outlet')], authorizeOutlet: () => true });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { node, echo, inlet, outlet, address };
}

describe('portal on one node', () => {
  it('echoes data through inlet and outlet and cleans up its sessions', async () => {
    const { node, inlet, outlet, address } = await setup();
    const data = randomBytes(300_000);
    const back = await exchange(address, data);
    expect(back.equals(data)).toBe(true);
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions).toBe(0);
    expect(inlet.status()).toMatchObject({ connected: true, sessionsOpened: 1, bytesOut: 300_000, bytesIn: 300_000 });
    expect(node.workerAddresses().sort()).toEqual(['outlet']);
  });

  it('closes the client when the route provider never answers, and releases the session', async () => {
    const node = new Node({ name: 'n' });
    cleanups.push(() => node.stop());
    const inlet = new TcpInlet(node, {
      listen: '127.0.0.1:0',
      outlet: ({ signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('stopped')))),
      authorizeOutlet: () => true,
      pongTimeoutMs: 150,
    });
    const { address } = await inlet.start();
    cleanups.push(() => inlet.stop());
    const client = await openClient(address);
    await new Promise((resolve) => { client.once('end', resolve); client.once('close', resolve); client.resume(); });
    client.destroy();
    expect(inlet.status()).toMatchObject({ connected: false, sessionsFailed: 1 });
    await expect.poll(() => inlet.status().sessions).toBe(0);
    expect(node.workerAddresses()).toEqual([]);
  });

  it('releases the outlet side when the client leaves before the session opened', async () => {
    const { node, outlet, inlet, address, echo } = await setup();
    let pass: () => void = () => {};
    const gate = new Promise<void>((resolve) => { pass = resolve; });
    node.setAccessControl('outlet', { incoming: { isAuthorized: async () => { await gate; return true; } } });
    const client = await openClient(address);
    client.destroy();
    await expect.poll(() => inlet.status().sessions).toBe(1);
    pass();
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions).toBe(0);
    expect(echo.received()).toBe(0);
    expect(node.workerAddresses()).toEqual(['outlet']);
  });
});
