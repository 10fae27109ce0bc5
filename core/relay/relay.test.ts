import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Node } from '../node/node.js';
import { allowAll } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import type { Route } from '../routing/message.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import { TcpInlet } from '../portal/tcp-inlet.js';
import { TcpOutlet } from '../portal/tcp-outlet.js';
import { startEchoServer } from '../portal/testing/echo-server.js';
import { exchange, openClient } from '../portal/testing/tcp-client.js';
import { RelayService } from './relay-service.js';
import type { RelayAuthorizer } from './relay-service.js';
import { RelayClient } from './relay-client.js';
import type { RelayClientOptions } from './relay-client.js';
import { PeerGateway } from './testing/peer-gateway.js';
import { decodeRelayMessage, encodeRelayMessage } from './relay-message.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const allowRelays: RelayAuthorizer = () => true;

/** The project node: TCP listener, relay service, and gateways vouching for identities Ib and Ic. */
async function projectNode(listen = '127.0.0.1:0', authorize = allowRelays, expireAfterMs = 2_000) {
  const node = new Node({ name: 'p' });
  cleanups.push(() => node.stop());
  const transport = new TcpTransport(node);
  const { address } = await transport.listen(listen);
  const service = new RelayService(node, { authorize, expireAfterMs });
  await service.start();
  cleanups.push(() => service.stop());
  await node.startWorker('as_b', new PeerGateway('Ib'), { incoming: allowAll });
  await node.startWorker('as_c', new PeerGateway('Ic'), { incoming: allowAll });
  return { node, transport, address, service };
}

async function plainNode(name: string) {
  const node = new Node({ name });
  cleanups.push(() => node.stop());
  new TcpTransport(node);
  return node;
}

function relayClient(node: Node, route: Route, extra: Partial<RelayClientOptions> = {}): RelayClient {
  const client = new RelayClient(node, { name: 'db', route, keepAliveMs: 150, requestTimeoutMs: 400, minBackoffMs: 50, maxBackoffMs: 300, ...extra });
  cleanups.push(() => client.stop());
  return client;
}

/** Node B: an echo server behind an outlet. */
async function outletNode() {
  const server = await startEchoServer();
  cleanups.push(() => server.close());
  const b = await plainNode('b');
  const outlet = new TcpOutlet(b, { target: server.address, incoming: allowAll });
  await outlet.start();
  return { b, outlet, server };
}

async function inletVia(projectAddress: string, options: { pongTimeoutMs?: number } = {}) {
  const a = await plainNode('a');
  const inlet = new TcpInlet(a, {
    listen: '127.0.0.1:0',
    outlet: [tcp(projectAddress), local('forward_to_db'), local('outlet')],
    authorizeOutlet: () => true,
    ...options,
  });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { a, inlet, address };
}

describe('relay', () => {
  it('carries a portal from an inlet on A to an outlet on B through P', async () => {
    const p = await projectNode();
    const { b, outlet } = await outletNode();
    const client = relayClient(b, [tcp(p.address), local('relay')]);
    await client.start();
    expect(client.status()).toMatchObject({ connected: true, registrations: 1, address: 'forward_to_db' });
    expect(p.service.list()).toMatchObject([{ name: 'db', address: 'forward_to_db' }]);
    const { inlet, address } = await inletVia(p.address);
    const inputs = Array.from({ length: 10 }, (_, i) => randomBytes(50_000 + i));
    const outputs = await Promise.all(inputs.map((d) => exchange(address, d)));
    outputs.forEach((o, i) => expect(o.equals(inputs[i]!)).toBe(true));
    expect(inlet.status().connected).toBe(true);
    await expect.poll(() => outlet.status().sessions).toBe(0);
  });

  it('names a takeover only to a peer the policy allows, and reports it', async () => {
    const attempts: Array<{ name: string; peer?: string; holder?: string }> = [];
    const onlyB: RelayAuthorizer = (peer) => peer?.identifier === 'Ib' || peer?.identifier === 'Ic';
    const p = await projectNode('127.0.0.1:0', onlyB);
    await p.service.stop();
    const service = new RelayService(p.node, {
      authorize: (peer, name, action) => onlyB(peer, name, action) && !(peer?.identifier === 'Ic' && name === 'secret'),
      onTakeoverAttempt: ({ name, peer, holder }) => attempts.push({ name, ...(peer ? { peer: peer.identifier } : {}), ...(holder ? { holder } : {}) }),
    });
    await service.start();
    cleanups.push(() => service.stop());
    const { b } = await outletNode();
    const c = await plainNode('c');
    for (const name of ['db', 'secret']) {
      const owner = relayClient(b, [tcp(p.address), local('as_b'), local('relay')], { name });
      await owner.start();
      expect(owner.status().connected).toBe(true);
    }
    const allowed = relayClient(c, [tcp(p.address), local('as_c'), local('relay')], { name: 'db' });
    await allowed.start();
    expect(allowed.status()).toMatchObject({ connected: false, refused: true, held: true, lastError: 'relay db is held by another member' });
    const notAllowed = relayClient(c, [tcp(p.address), local('as_c'), local('relay')], { name: 'secret' });
    await notAllowed.start();
    expect(notAllowed.status()).toMatchObject({ connected: false, refused: true, held: false, lastError: 'the relay service refused the registration' });
    expect(attempts[0]).toEqual({ name: 'db', peer: 'Ic', holder: 'Ib' });
    expect(attempts.every((a) => a.name === 'db')).toBe(true);
  });

  it('keeps a live name with its owner and hands it over once the owner leaves', async () => {
    const p = await projectNode();
    const { b } = await outletNode();
    const c = await plainNode('c');
    const owner = relayClient(b, [tcp(p.address), local('as_b'), local('relay')]);
    await owner.start();
    const hijacker = relayClient(c, [tcp(p.address), local('as_c'), local('relay')]);
    await hijacker.start();
    expect(owner.status().connected).toBe(true);
    expect(hijacker.status()).toMatchObject({ connected: false, refused: true, held: true, lastError: 'relay db is held by another member' });
    await new Promise((r) => setTimeout(r, 400));
    expect(p.service.list()).toMatchObject([{ name: 'db', owner: 'Ib' }]);
    // The portal still reaches B, the owner.
    const { address } = await inletVia(p.address);
    expect((await exchange(address, Buffer.from('to the owner'))).toString()).toBe('to the owner');
    await owner.stop();
    await expect.poll(() => hijacker.status().connected, { timeout: 3_000 }).toBe(true);
    expect(p.service.list()).toMatchObject([{ name: 'db', owner: 'Ic' }]);
  });

  it('re-registers by itself after the project node restarts', async () => {
    const p = await projectNode();
    const { b } = await outletNode();
    const client = relayClient(b, [tcp(p.address), local('relay')]);
    await client.start();
    const { address } = await inletVia(p.address);
    expect((await exchange(address, Buffer.from('before'))).toString()).toBe('before');
    await p.node.stop();
    await expect.poll(() => client.status().connected, { timeout: 3_000 }).toBe(false);
    const p2 = await projectNode(p.address);
    await expect.poll(() => client.status().connected, { timeout: 5_000 }).toBe(true);
    expect(client.status().registrations).toBe(2);
    expect(p2.service.list().map((r) => r.name)).toEqual(['db']);
    expect((await exchange(address, Buffer.from('after'))).toString()).toBe('after');
  });

  it('refuses a create the policy denies', async () => {
    const p = await projectNode('127.0.0.1:0', (_peer, name, action) => action === 'create' && name === 'other');
    const b = await plainNode('b');
    const client = relayClient(b, [tcp(p.address), local('relay')]);
    await client.start();
    expect(client.status().connected).toBe(false);
    expect(p.service.list()).toEqual([]);
  });

  it('lets nothing through when the send policy denies', async () => {
    const p = await projectNode('127.0.0.1:0', (_peer, _name, action) => action === 'create');
    const { b, server } = await outletNode();
    await relayClient(b, [tcp(p.address), local('relay')]).start();
    const { inlet, address } = await inletVia(p.address, { pongTimeoutMs: 300 });
    const socket = await openClient(address);
    socket.write('query');
    await new Promise((resolve) => { socket.once('end', resolve); socket.once('close', resolve); });
    socket.destroy();
    expect(server.accepted()).toBe(0);
    expect(inlet.status().lastError).toBe('no pong from the outlet in time');
    expect(p.node.stats.denied).toBeGreaterThan(0);
  });

  it('removes a relay its owner stopped refreshing', async () => {
    const p = await projectNode('127.0.0.1:0', allowRelays, 300);
    const b = await plainNode('b');
    await relayClient(b, [tcp(p.address), local('relay')], { keepAliveMs: 100 }).start();
    expect(p.service.list()).toHaveLength(1);
    await b.stop();
    await expect.poll(() => p.service.list(), { timeout: 2_000 }).toEqual([]);
    expect(p.node.hasWorker('forward_to_db')).toBe(false);
  });

  it('drops malformed requests and answers the rest', async () => {
    const p = await projectNode();
    const b = await plainNode('b');
    b.send([tcp(p.address), local('relay')], Uint8Array.of(1, 9, 0x41));
    b.send([tcp(p.address), local('relay')], encodeRelayMessage({ type: 'created' }));
    const reply = await b.request([tcp(p.address), local('relay')], encodeRelayMessage({ type: 'delete', name: 'db' }), { timeoutMs: 2_000 });
    expect(Array.from(reply.payload)).toEqual(Array.from(encodeRelayMessage({ type: 'refused' })));
    expect(p.node.stats.workerErrors).toBe(0);
  });

  it('answers a message to an unknown relay with "no such relay", back over the sender\'s channel, only when the sender may send through that name', async () => {
    const p = await projectNode('127.0.0.1:0', (_peer, name, action) => action === 'send' && name === 'known-to-c');
    const c = await plainNode('c');
    const ask = (route: ReturnType<typeof local>[], timeoutMs = 2_000) => c.request([tcp(p.address), ...route], Uint8Array.of(9), { timeoutMs });
    const reply = await ask([local('as_c'), local('forward_to_known-to-c'), local('outlet')]);
    expect(decodeRelayMessage(reply.payload)).toEqual({ type: 'unknown', name: 'known-to-c' });
    // A name the sender may not send through: nothing, so no one learns which names exist.
    await expect(ask([local('as_c'), local('forward_to_other'), local('outlet')], 300)).rejects.toThrow(/no reply/);
    // Unauthenticated (no channel vouches for the sender): nothing either.
    await expect(ask([local('forward_to_known-to-c'), local('outlet')], 300)).rejects.toThrow(/no reply/);
    expect(p.node.stats.workerErrors).toBe(0);
  });

  it('answers "no such relay" while its owner\'s channel is gone, and keeps the name for the owner', async () => {
    const p = await projectNode();
    const b = await plainNode('b');
    await relayClient(b, [tcp(p.address), local('as_b'), local('relay')], { keepAliveMs: 60_000 }).start();
    expect(p.service.list().map((r) => r.name)).toEqual(['db']);
    // as_b stands for the owner's secure channel on the project node: it closes.
    await p.node.stopWorker('as_b');
    const c = await plainNode('c');
    const reply = await c.request([tcp(p.address), local('as_c'), local('forward_to_db'), local('outlet')], Uint8Array.of(1), { timeoutMs: 2_000 });
    expect(decodeRelayMessage(reply.payload)).toEqual({ type: 'unknown', name: 'db' });
    // Another identity (allowed to create it) cannot take the name meanwhile: it is told the name is held.
    const taken = await c.request([tcp(p.address), local('as_c'), local('relay')], encodeRelayMessage({ type: 'create', name: 'db' }), { timeoutMs: 2_000 });
    expect(decodeRelayMessage(taken.payload)).toEqual({ type: 'held' });
    expect(p.service.list()).toMatchObject([{ name: 'db', owner: 'Ib' }]);
  });

  it('registers again at once when its route\'s closed signal aborts, without waiting for the keep-alive', async () => {
    const p = await projectNode();
    const b = await plainNode('b');
    let provided = 0;
    let closed = new AbortController();
    const client = relayClient(b, [], {
      keepAliveMs: 60_000,
      route: () => {
        provided++;
        closed = new AbortController();
        return { route: [tcp(p.address), local('relay')], closed: closed.signal };
      },
    });
    await client.start();
    expect(client.status().connected).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(provided).toBe(1);
    closed.abort();
    await expect.poll(() => provided, { timeout: 2_000 }).toBe(2);
    expect(client.status().connected).toBe(true);
  });

  it('retries an unreachable route quickly at first: a project node back after 3 s is used within the fast backoff', async () => {
    const p = await projectNode();
    const b = await plainNode('b');
    let down = false;
    const client = relayClient(b, [], {
      keepAliveMs: 100, minBackoffMs: 50, maxBackoffMs: 10_000, fastBackoffMs: 200,
      route: () => {
        if (down) throw new Error('cannot connect: ECONNREFUSED');
        return [tcp(p.address), local('relay')];
      },
    });
    await client.start();
    down = true;
    await expect.poll(() => client.status().connected, { timeout: 2_000 }).toBe(false);
    expect(client.status().lastError).toMatch(/ECONNREFUSED/);
    expect(client.status().lastErrorAt).toBeGreaterThan(Date.now() - 3_000);
    // Without the fast phase, the delay would have doubled to 3.2 s by now.
    await new Promise((r) => setTimeout(r, 3_000));
    down = false;
    const back = Date.now();
    await expect.poll(() => client.status().connected, { timeout: 2_000, interval: 20 }).toBe(true);
    expect(Date.now() - back).toBeLessThan(1_500);
    // The error stays for the record, marked old: recovered when the registration came back.
    const after = client.status();
    expect(after.lastError).toMatch(/ECONNREFUSED/);
    expect(after.recoveredAt).toBeGreaterThanOrEqual(back);
    expect(after.recoveredAt).toBeGreaterThanOrEqual(after.lastErrorAt!);
  });
});
