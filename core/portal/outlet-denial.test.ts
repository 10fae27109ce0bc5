import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { Node } from '../node/node.js';
import { allowAll, denyAll } from '../node/access-control.js';
import type { AccessControl } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import { TcpInlet } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { DISCONNECT, DisconnectReason, PORTAL_PROTOCOL_VERSION, encodePortalMessage } from './portal-message.js';
import { startEchoServer } from './testing/echo-server.js';
import { openClient } from './testing/tcp-client.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Node B runs an outlet guarded by `incoming` in front of `target` (an echo server by default). */
async function outletNode(incoming: AccessControl, target?: string): Promise<{ b: Node; outlet: TcpOutlet; toB: string }> {
  let to = target;
  if (to === undefined) {
    const server = await startEchoServer();
    cleanups.push(() => server.close());
    to = server.address;
  }
  const b = new Node({ name: 'b' });
  cleanups.push(() => b.stop());
  const toB = (await new TcpTransport(b).listen('127.0.0.1:0')).address;
  const outlet = new TcpOutlet(b, { target: to, incoming });
  await outlet.start();
  cleanups.push(() => outlet.stop());
  return { b, outlet, toB };
}

async function clientNode(): Promise<Node> {
  const a = new Node({ name: 'a' });
  cleanups.push(() => a.stop());
  new TcpTransport(a);
  return a;
}

async function unusedAddress(): Promise<string> {
  const s = await startEchoServer();
  await s.close();
  return s.address;
}

const ping = encodePortalMessage({ type: 'ping', version: PORTAL_PROTOCOL_VERSION, window: 1024 });

function closed(socket: Socket): Promise<void> {
  socket.on('error', () => {});
  return new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
}

describe('outlet access control denying a ping', () => {
  it('closes the inlet client promptly, well before the pong timeout', async () => {
    const { outlet, toB } = await outletNode(denyAll);
    const a = await clientNode();
    const inlet = new TcpInlet(a, { listen: '127.0.0.1:0', outlet: [tcp(toB), local('outlet')], authorizeOutlet: () => true, pongTimeoutMs: 10_000 });
    const { address } = await inlet.start();
    cleanups.push(() => inlet.stop());
    const client = await openClient(address);
    const started = Date.now();
    client.write('query');
    await closed(client);
    client.destroy();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(inlet.status()).toMatchObject({ connected: false, sessionsFailed: 1 });
    expect(inlet.status().lastError).toBe("refused by the outlet's policy (reason 8): on the outlet's node, see 'symbolon policy denials'");
    expect(outlet.status()).toMatchObject({ sessions: 0, sessionsFailed: 1, refusals: { policy: 1, unreachable: 0, capacity: 0 } });
    await expect.poll(() => inlet.status().sessions).toBe(0);
  });

  it('tells a denied ping from an unreachable target by a reason code only', async () => {
    const denied = await outletNode(denyAll);
    const unreachable = await outletNode(allowAll, await unusedAddress());
    const a = await clientNode();
    const fromDenied = await a.request([tcp(denied.toB), local('outlet')], ping, { timeoutMs: 3_000 });
    const fromUnreachable = await a.request([tcp(unreachable.toB), local('outlet')], ping, { timeoutMs: 3_000 });
    expect(Array.from(fromDenied.payload)).toEqual([DISCONNECT, DisconnectReason.deniedByPolicy]);
    expect(Array.from(fromUnreachable.payload)).toEqual([DISCONNECT, DisconnectReason.connectFailed]);
    expect(denied.b.stats.denied).toBe(1);
    expect(unreachable.outlet.status()).toMatchObject({ refusals: { policy: 0, unreachable: 1, capacity: 0 }, lastError: expect.stringMatching(/^cannot connect to the target 127\.0\.0\.1:\d+: .*ECONNREFUSED/) });
    expect(unreachable.outlet.status().lastErrorAt).toBeGreaterThan(0);
  });

  it("an inlet names the outlet's unreachable target and where to look, and marks it old once a session opens", async () => {
    const server = await startEchoServer();
    cleanups.push(() => server.close());
    const { b, toB } = await outletNode(allowAll, await unusedAddress());
    const good = new TcpOutlet(b, { target: server.address, address: 'outlet2', incoming: allowAll });
    await good.start();
    cleanups.push(() => good.stop());
    const a = await clientNode();
    let target = 'outlet';
    const inlet = new TcpInlet(a, { listen: '127.0.0.1:0', outlet: () => [tcp(toB), local(target)], authorizeOutlet: () => true });
    const { address } = await inlet.start();
    cleanups.push(() => inlet.stop());
    const client = await openClient(address);
    const started = Date.now();
    await closed(client);
    client.destroy();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(inlet.status()).toMatchObject({
      connected: false,
      lastError: "the outlet's target is unreachable (reason 1): on the outlet's node, see 'symbolon tcp-outlet show outlet'",
    });
    expect(inlet.status().recoveredAt).toBeUndefined();
    target = 'outlet2';
    const ok = await openClient(address);
    ok.write('x');
    await new Promise((resolve) => ok.once('data', resolve));
    ok.destroy();
    const after = inlet.status();
    expect(after).toMatchObject({ connected: true, lastError: expect.stringMatching(/unreachable/) });
    expect(after.recoveredAt).toBeGreaterThanOrEqual(after.lastErrorAt!);
  });

  it('stays silent for denied messages that are not pings', async () => {
    const { b, toB, outlet } = await outletNode(denyAll);
    const a = await clientNode();
    const notPing = encodePortalMessage({ type: 'end' });
    await expect(a.request([tcp(toB), local('outlet')], notPing, { timeoutMs: 300 })).rejects.toThrow(/no reply/);
    await expect(a.request([tcp(toB), local('outlet')], Uint8Array.of(1, 1), { timeoutMs: 300 })).rejects.toThrow(/no reply/);
    expect(b.stats.denied).toBe(2);
    expect(outlet.status()).toMatchObject({ sessionsFailed: 0, malformed: 1 });
  });
});
