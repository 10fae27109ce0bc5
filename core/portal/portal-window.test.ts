import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { Node } from '../node/node.js';
import { allowAll } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import { TcpInlet } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { DEFAULT_CREDIT_WINDOW, MAX_PAYLOAD_CHUNK } from './portal-message.js';
import { startEchoServer } from './testing/echo-server.js';
import { exchange, openClient, sha256Hex } from './testing/tcp-client.js';
import { hashingServer } from './testing/hash-server.js';
import { TcpTransport } from '../transport/tcp-transport.js';
import { MAX_GROWN_WINDOW, WindowPool, windowPoolOf } from './window-pool.js';

const MiB = 1024 * 1024;
const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Inlet on node A, outlet on node B in front of a server with `behaviour`, over real TCP. */
async function pair(behaviour: (s: Socket) => void): Promise<{ a: Node; b: Node; inlet: TcpInlet; outlet: TcpOutlet; address: string }> {
  const server = await startEchoServer(behaviour);
  cleanups.push(() => server.close());
  const a = new Node({ name: 'a' });
  const b = new Node({ name: 'b' });
  cleanups.push(() => a.stop(), () => b.stop());
  new TcpTransport(a);
  const toB = (await new TcpTransport(b).listen('127.0.0.1:0')).address;
  const outlet = new TcpOutlet(b, { target: server.address, incoming: allowAll });
  await outlet.start();
  cleanups.push(() => outlet.stop());
  const inlet = new TcpInlet(a, { listen: '127.0.0.1:0', outlet: [tcp(toB), local('outlet')], authorizeOutlet: () => true });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { a, b, inlet, outlet, address };
}

/** A server behaviour: reads `bytes`, then never again (a reader that kept up, then stalls). */
function readsThenStalls(bytes: number, state: { read: number; stalled: boolean; socket?: Socket }): (s: Socket) => void {
  return (socket) => {
    state.socket = socket;
    socket.on('data', (d: Buffer) => {
      state.read += d.length;
      if (state.read >= bytes && !state.stalled) {
        state.stalled = true;
        socket.pause();
      }
    });
  };
}

describe('adaptive credit window', () => {
  it('grows while the reader keeps up; a reader that then stalls makes the node hold at most the grown window, and the pool is given back', async () => {
    const state: { read: number; stalled: boolean; socket?: Socket } = { read: 0, stalled: false };
    const { b, inlet, outlet, address } = await pair(readsThenStalls(40 * MiB, state));
    const client = await openClient(address);
    client.on('error', () => {});
    const block = Buffer.alloc(64 * 1024, 5);
    let maxBuffered = 0;
    let maxPool = 0;
    let stalledSince = 0;
    const deadline = Date.now() + 20_000;
    // Keep the client's buffer topped up until the server has stalled for a while.
    while (Date.now() < deadline && (stalledSince === 0 || Date.now() - stalledSince < 1500)) {
      while (client.writableLength < 4 * MiB) client.write(block);
      maxBuffered = Math.max(maxBuffered, outlet.bufferedBytes());
      maxPool = Math.max(maxPool, windowPoolOf(b).bytesInUse);
      if (state.stalled && stalledSince === 0) stalledSince = Date.now();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(state.stalled).toBe(true);
    // 512 KiB -> 1 MiB -> 2 MiB while the server read (GROW_AFTER_BYTES each).
    expect(outlet.status().windowGrowths).toBeGreaterThanOrEqual(2);
    expect(maxPool).toBe(MAX_GROWN_WINDOW - DEFAULT_CREDIT_WINDOW);
    // The stall took the window back to the announced one ...
    expect(outlet.status().windowShrinks).toBeGreaterThanOrEqual(1);
    // ... and what the stalled reader made the outlet hold is bounded by the grown window.
    expect(maxBuffered).toBeGreaterThan(DEFAULT_CREDIT_WINDOW / 2);
    expect(maxBuffered).toBeLessThanOrEqual(MAX_GROWN_WINDOW + MAX_PAYLOAD_CHUNK);
    expect(inlet.status().bytesOut - outlet.status().bytesIn).toBeLessThanOrEqual(MAX_GROWN_WINDOW);
    // A paused socket notices nothing: the server going away ends the session.
    client.destroy();
    state.socket?.destroy();
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions, { timeout: 10_000 }).toBe(0);
    expect(windowPoolOf(b).bytesInUse).toBe(0);
  }, 30_000);

  it('does not grow past the node-wide pool, and a transfer still completes byte for byte', async () => {
    const { b, outlet, address } = await pair(hashingServer);
    const pool = windowPoolOf(b);
    const held = pool.take(pool.limit);
    cleanups.push(() => pool.give(held));
    const data = Buffer.alloc(16 * MiB);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    const answer = await exchange(address, data);
    expect(answer.toString()).toBe(sha256Hex(data));
    expect(outlet.status().windowGrowths).toBe(0);
    expect(pool.bytesInUse).toBe(held);
  }, 30_000);

  it('pool arithmetic: takes what is left, never more; gives back', () => {
    const pool = new WindowPool(3 * MiB);
    expect(pool.take(2 * MiB)).toBe(2 * MiB);
    expect(pool.take(2 * MiB)).toBe(MiB);
    expect(pool.take(1)).toBe(0);
    pool.give(MiB);
    expect(pool.bytesInUse).toBe(2 * MiB);
    pool.give(10 * MiB);
    expect(pool.bytesInUse).toBe(0);
  });
});
