import { afterEach, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { Node } from '../node/node.js';
import { allowAll } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import { TcpInlet } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { CREDIT, GRANT, PAYLOAD } from './portal-message.js';
import { startEchoServer } from './testing/echo-server.js';
import { neverReads } from './testing/hash-server.js';
import { linkInProcess } from './testing/node-link.js';
import { parseHostPort } from '../transport/host-port.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const LIVENESS_MS = 900;

/**
 * Inlet on A, outlet on B (in front of `server`), linked in process through `lose`, which
 * may drop messages on the way (a lost frame). Short liveness timeouts on both sides.
 */
async function lossyPair(serverBehaviour: ((s: Socket) => void) | undefined, lose: (from: string, payload: Uint8Array) => boolean) {
  const server = await startEchoServer(serverBehaviour);
  cleanups.push(() => server.close());
  const a = new Node({ name: 'a' });
  const b = new Node({ name: 'b' });
  cleanups.push(() => a.stop(), () => b.stop());
  cleanups.push(linkInProcess({ 'a.test:1': a, 'b.test:1': b }, lose));
  const outlet = new TcpOutlet(b, { target: server.address, incoming: allowAll, livenessTimeoutMs: LIVENESS_MS });
  await outlet.start();
  cleanups.push(() => outlet.stop());
  const inlet = new TcpInlet(a, {
    listen: '127.0.0.1:0', outlet: [tcp('b.test:1'), local('outlet')], authorizeOutlet: () => true, livenessTimeoutMs: LIVENESS_MS,
  });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { a, b, inlet, outlet, address };
}

/** A client that writes `data` and reports how its connection ended (`end` or the error code) and what it received. */
function client(address: string, data: Buffer): { socket: Socket; ended: Promise<{ how: string; bytes: number }> } {
  const { host, port } = parseHostPort(address, { what: 'inlet', origin: 'portal' });
  const socket = connect({ host, port });
  cleanups.push(() => { socket.destroy(); });
  let bytes = 0;
  const ended = new Promise<{ how: string; bytes: number }>((resolve) => {
    socket.on('data', (d: Buffer) => { bytes += d.length; });
    socket.once('end', () => resolve({ how: 'end', bytes }));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve({ how: e.code ?? 'error', bytes }));
  });
  socket.write(data);
  return { socket, ended };
}

describe('portal session liveness', () => {
  it('a lost last payload aborts the session (reset) instead of stalling it forever', async () => {
    let dropped = 0;
    // Lose the first payload the outlet side sends back: the client waits for an echo that never comes.
    const { inlet, outlet, address } = await lossyPair(undefined, (from, p) => from === 'b.test:1' && p[0] === PAYLOAD && dropped++ === 0);
    const started = Date.now();
    const { ended } = client(address, Buffer.from('query'));
    expect(await ended).toEqual({ how: 'ECONNRESET', bytes: 0 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(dropped).toBeGreaterThan(0);
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions, { timeout: 5_000 }).toBe(0);
    expect(outlet.status().sessionsAborted).toBe(1);
    expect(inlet.status()).toMatchObject({ sessionsAborted: 1 });
    expect(inlet.status().lastError).toMatch(/session aborted/);
  });

  it('a lost credit aborts the stalled sender instead of starving it', async () => {
    let dropped = 0;
    // The inlet's credits (alone or in a grant with an ack) are lost: the outlet side runs out of credit.
    const { outlet, inlet, address } = await lossyPair(undefined, (from, p) => from === 'a.test:1' && (p[0] === CREDIT || p[0] === GRANT) && dropped++ < 1_000);
    const { ended } = client(address, Buffer.alloc(4 * 1024 * 1024, 1));
    const { how } = await ended;
    expect(how).toBe('ECONNRESET');
    expect(dropped).toBeGreaterThan(0);
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions, { timeout: 5_000 }).toBe(0);
    expect(inlet.status().sessionsAborted + outlet.status().sessionsAborted).toBeGreaterThanOrEqual(1);
  });

  it('a peer that vanished without a word (its session gone) is detected: reset, and the inlet reports it', async () => {
    const { b, inlet, outlet, address } = await lossyPair(undefined, () => false);
    const { socket, ended } = client(address, Buffer.from('hello'));
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    // The outlet's session worker disappears silently (its node lost it); nothing tells the inlet.
    const sessionAddress = b.workerAddresses().find((w) => w.startsWith('outlet_session.'))!;
    (outlet as unknown as { sessions: Map<string, unknown> }).sessions.delete(sessionAddress);
    await b.stopWorker(sessionAddress).catch(() => undefined);
    socket.write('are you there?');
    expect((await ended).how).toBe('ECONNRESET');
    expect(inlet.status()).toMatchObject({ connected: false, livenessTimeouts: 1 });
    expect(inlet.status().lastError).toMatch(/no progress/);
  });

  it('a reader that is merely slow is not aborted: probes are answered while it stalls', async () => {
    const { inlet, outlet, address } = await lossyPair(neverReads, () => false);
    const { socket, ended } = client(address, Buffer.alloc(2 * 1024 * 1024, 7));
    let how: string | undefined;
    void ended.then((e) => { how = e.how; });
    await new Promise((r) => setTimeout(r, 4 * LIVENESS_MS));
    expect(how).toBeUndefined();
    expect(inlet.status()).toMatchObject({ sessions: 1, sessionsAborted: 0, livenessTimeouts: 0 });
    expect(outlet.status()).toMatchObject({ sessions: 1, sessionsAborted: 0 });
    socket.destroy();
  });
});

describe('outlet idle timeout', () => {
  it('resets both sides of a session that moves no data for the idle timeout', async () => {
    const server = await startEchoServer((s) => { s.pipe(s); });
    cleanups.push(() => server.close());
    const a = new Node({ name: 'a' });
    const b = new Node({ name: 'b' });
    cleanups.push(() => a.stop(), () => b.stop());
    cleanups.push(linkInProcess({ 'a.test:1': a, 'b.test:1': b }));
    const outlet = new TcpOutlet(b, { target: server.address, incoming: allowAll, idleTimeoutMs: 600 });
    await outlet.start();
    cleanups.push(() => outlet.stop());
    const inlet = new TcpInlet(a, { listen: '127.0.0.1:0', outlet: [tcp('b.test:1'), local('outlet')], authorizeOutlet: () => true });
    const { address } = await inlet.start();
    cleanups.push(() => inlet.stop());
    const { ended } = client(address, Buffer.from('x'));
    const started = Date.now();
    expect((await ended).how).toBe('ECONNRESET');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(outlet.status()).toMatchObject({ idleTimeouts: 1, idleTimeoutMs: 600 });
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions, { timeout: 3_000 }).toBe(0);
  });
});
