import { afterEach, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Node } from '../node/node.js';
import { allowAll } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import type { Route } from '../routing/message.js';
import { TcpInlet } from './tcp-inlet.js';
import type { TcpInletOptions } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { DEFAULT_CREDIT_WINDOW, MAX_PAYLOAD_CHUNK, encodePayload } from './portal-message.js';
import { startEchoServer } from './testing/echo-server.js';
import type { EchoServer } from './testing/echo-server.js';
import { hashingServer, neverReads, replyOnEnd } from './testing/hash-server.js';
import { exchange, openClient, sha256Hex } from './testing/tcp-client.js';
import { linkInProcess } from './testing/node-link.js';
import { TcpTransport } from '../transport/tcp-transport.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Pair { a: Node; b: Node; inlet: TcpInlet; outlet: TcpOutlet; server: EchoServer; address: string; toB: string }

type Mode = 'tcp' | 'in-process';

/** Node A runs the inlet, node B the outlet in front of `server`; linked by real TCP or in process. */
async function pair(mode: Mode, serverBehaviour?: (s: Socket) => void, inletOptions: Partial<TcpInletOptions> = {}, target?: string): Promise<Pair> {
  const server = await startEchoServer(serverBehaviour);
  cleanups.push(() => server.close());
  const a = new Node({ name: 'a' });
  const b = new Node({ name: 'b' });
  cleanups.push(() => a.stop(), () => b.stop());
  let toB = 'b.test:1';
  if (mode === 'in-process') {
    cleanups.push(linkInProcess({ 'a.test:1': a, 'b.test:1': b }));
  } else {
    new TcpTransport(a);
    toB = (await new TcpTransport(b).listen('127.0.0.1:0')).address;
  }
  const outlet = new TcpOutlet(b, { target: target ?? server.address, incoming: allowAll });
  await outlet.start();
  cleanups.push(() => outlet.stop());
  const route: Route = [tcp(toB), local('outlet')];
  const inlet = new TcpInlet(a, { listen: '127.0.0.1:0', outlet: route, authorizeOutlet: () => true, ...inletOptions });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { a, b, inlet, outlet, server, address, toB };
}

async function closedWithoutData(socket: Socket): Promise<number> {
  let bytes = 0;
  socket.on('data', (d: Buffer) => { bytes += d.length; });
  socket.on('error', () => {});
  await new Promise((resolve) => {
    socket.once('end', resolve);
    socket.once('close', resolve);
  });
  socket.destroy();
  return bytes;
}

describe.each(['tcp', 'in-process'] as const)('portal between two nodes (%s)', (mode) => {
  it('carries 100 concurrent connections, each with its own data', async () => {
    const { inlet, outlet, address } = await pair(mode);
    const inputs = Array.from({ length: 100 }, (_, i) => randomBytes(1000 + i * 997));
    const outputs = await Promise.all(inputs.map((d) => exchange(address, d)));
    outputs.forEach((o, i) => expect(o.equals(inputs[i]!)).toBe(true));
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions).toBe(0);
    expect(inlet.status().sessionsOpened).toBe(100);
  });

  it('moves 64 MiB with a matching SHA-256', async () => {
    const { address } = await pair(mode, hashingServer);
    const data = randomBytes(64 * 1024 * 1024);
    const digest = await exchange(address, data, 1024 * 1024);
    expect(digest.toString()).toBe(sha256Hex(data));
  }, 60_000);

  it('keeps the other direction open after a half-close', async () => {
    const { address } = await pair(mode, replyOnEnd('server'));
    const reply = await exchange(address, Buffer.from('client data'));
    expect(reply.toString()).toBe('server:client data');
  });

  it('buffers about one window when the server stops reading', async () => {
    const { inlet, outlet, a, b, server, address } = await pair(mode, neverReads);
    const client = await openClient(address);
    client.on('error', () => {});
    const block = Buffer.alloc(64 * 1024, 7);
    let maxBuffered = 0;
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      // Keep the client's own buffer topped up so the portal always has more to read.
      while (client.writableLength < 4 * 1024 * 1024) client.write(block);
      maxBuffered = Math.max(maxBuffered, inlet.bufferedBytes() + outlet.bufferedBytes());
      await new Promise((r) => setTimeout(r, 20));
    }
    const bound = DEFAULT_CREDIT_WINDOW + 2 * 64 * 1024 + MAX_PAYLOAD_CHUNK;
    expect(maxBuffered).toBeLessThanOrEqual(bound);
    // ... and the measure saw the stalled window (the server really stopped reading).
    expect(maxBuffered).toBeGreaterThan(DEFAULT_CREDIT_WINDOW / 2);
    // The data stalled in the portal: the peer sent no more than its credit allowed.
    expect(outlet.status().bytesIn).toBeLessThanOrEqual(inlet.status().bytesOut);
    expect(inlet.status().bytesOut - outlet.status().bytesIn).toBeLessThanOrEqual(DEFAULT_CREDIT_WINDOW);
    expect(a.stats.workerErrors + b.stats.workerErrors).toBe(0);
    // A paused socket notices nothing; the server going away tears the session down.
    const clientClosed = closedWithoutData(client);
    await server.close();
    expect(await clientClosed).toBe(0);
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions).toBe(0);
  });

  it('closes the client and sends nothing onward when authorizeOutlet denies', async () => {
    const { server, outlet, inlet, address } = await pair(mode, undefined, { authorizeOutlet: async () => false });
    const client = await openClient(address);
    client.write('secret query');
    expect(await closedWithoutData(client)).toBe(0);
    await expect.poll(() => outlet.status().sessions).toBe(0);
    expect(server.received()).toBe(0);
    expect(inlet.status()).toMatchObject({ connected: false, sessionsFailed: 1, lastError: 'outlet refused by the inlet policy' });
  });

  it('closes the client when the outlet cannot reach its target', async () => {
    const closed = await startEchoServer();
    const target = closed.address;
    await closed.close();
    const { inlet, outlet, address } = await pair(mode, undefined, {}, target);
    const client = await openClient(address);
    expect(await closedWithoutData(client)).toBe(0);
    expect(inlet.status().connected).toBe(false);
    expect(inlet.status().lastError).toMatch(/the outlet's target is unreachable \(reason 1\)/);
    await expect.poll(() => outlet.status().sessions + inlet.status().sessions).toBe(0);
  });

  it('closes the client when no pong arrives in time', async () => {
    let toB = '';
    const { a, inlet, address, toB: bAddress } = await pair(mode, undefined, { outlet: (): Route => [tcp(toB), local('nowhere')], pongTimeoutMs: 200 });
    toB = bAddress;
    const client = await openClient(address);
    expect(await closedWithoutData(client)).toBe(0);
    expect(inlet.status()).toMatchObject({ connected: false, lastError: 'no pong from the outlet in time' });
    // The session lingers one more timeout for a late pong, then is gone.
    await expect.poll(() => inlet.status().sessions).toBe(0);
    expect(a.workerAddresses().filter((w) => w.startsWith('inlet_session'))).toEqual([]);
  });

  it('drops and counts malformed and unexpected portal messages', async () => {
    const { a, b, outlet, address, toB } = await pair(mode);
    a.send([tcp(toB), local('outlet')], Uint8Array.of(0xee, 1, 2));
    a.send([tcp(toB), local('outlet')], Uint8Array.of(3, 0, 0, 0, 0, 1));
    a.send([tcp(toB), local('outlet')], new Uint8Array(0));
    await expect.poll(() => outlet.status().malformed).toBe(2);
    expect(outlet.status().unexpected).toBe(1);
    expect(b.stats.workerErrors).toBe(0);
    const back = await exchange(address, Buffer.from('still works'));
    expect(back.toString()).toBe('still works');
  });

  it('rejects session messages from anyone but the session peer', async () => {
    const { b, outlet, address } = await pair(mode, neverReads);
    const client = await openClient(address);
    await expect.poll(() => outlet.status().sessions).toBe(1);
    const sessionAddress = b.workerAddresses().find((w) => w.startsWith('outlet_session'))!;
    const denied = b.stats.denied;
    b.send([local(sessionAddress)], Uint8Array.of(6), { returnRoute: [local('intruder')] });
    await expect.poll(() => b.stats.denied).toBe(denied + 1);
    expect(outlet.status().sessions).toBe(1);
    client.destroy();
  });

  it('aborts a session on a lost chunk instead of passing on a gap', async () => {
    const { b, inlet, outlet, server, address } = await pair(mode);
    const client = await openClient(address);
    client.on('error', () => {});
    await expect.poll(() => inlet.status().sessions === 1 && outlet.status().sessionsOpened === 1).toBe(true);
    const sessionAddress = b.workerAddresses().find((w) => w.startsWith('outlet_session'))!;
    // As if chunk 0 had been dropped on the way: chunk 1 arrives from the session's peer
    // (same first return hop as the session's ping).
    const head = mode === 'tcp' ? local(b.workerAddresses().find((w) => w !== sessionAddress && w.startsWith('tcp-conn.'))!) : tcp('a.test:1');
    b.route({ onwardRoute: [local(sessionAddress)], returnRoute: [head], payload: encodePayload(1, Uint8Array.of(1)), origin: { via: 'tcp' } });
    expect(await closedWithoutData(client)).toBe(0);
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions).toBe(0);
    expect(server.received()).toBe(0);
  });
});
