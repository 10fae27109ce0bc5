import { afterEach, describe, expect, it } from 'vitest';
import type { Socket } from 'node:net';
import { createSecureChannel } from '../channel/create-secure-channel.js';
import { testActor, testAuthority } from '../channel/testing/channel-fixtures.js';
import type { TestActor } from '../channel/testing/channel-fixtures.js';
import { SecureChannelListener } from '../channel/secure-channel-listener.js';
import { SecureChannelRegistry } from '../channel/secure-channel-registry.js';
import type { SecureChannel } from '../channel/secure-channel.js';
import { allowAll } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import type { OutletRouteProvider } from './tcp-inlet.js';
import { TcpInlet } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { startEchoServer } from './testing/echo-server.js';
import { openClient } from './testing/tcp-client.js';
import { connect } from 'node:net';
import { parseHostPort } from '../transport/host-port.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Node A (inlet) opens a secure channel to node B (outlet in front of an echo server). */
async function setup(outletRoute?: (channel: SecureChannel, b: TestActor) => OutletRouteProvider) {
  let targetClosed = 0;
  const authority = await testAuthority();
  const a = await testActor('a', authority, {}, [authority]);
  const b = await testActor('b', authority, {}, [authority]);
  cleanups.push(() => a.node.stop(), () => b.node.stop());
  const server = await startEchoServer((socket) => {
    socket.on('close', () => { targetClosed++; });
    socket.pipe(socket);
  });
  cleanups.push(() => server.close());
  await SecureChannelListener.start(b.node, b.options());
  const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
  const outlet = new TcpOutlet(b.node, { target: server.address, incoming: allowAll });
  await outlet.start();
  cleanups.push(() => outlet.stop());
  const inlet = new TcpInlet(a.node, {
    listen: '127.0.0.1:0', authorizeOutlet: () => true,
    outlet: outletRoute ? outletRoute(channel, b) : [local(channel.address), local('outlet')],
  });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { a, b, channel, inlet, outlet, address, targetClosed: () => targetClosed };
}

/** A client whose echo round trip worked; `closed` resolves when the portal closes it. */
async function echoingClient(address: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const socket = await openClient(address);
  cleanups.push(() => { socket.destroy(); });
  // How the portal ended the connection: `end` (orderly) or the error code (ECONNRESET).
  const closed = new Promise<string>((resolve) => {
    socket.once('end', () => resolve('end'));
    socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    socket.once('close', () => resolve('close'));
  });
  const echoed = new Promise<Buffer>((resolve) => socket.once('data', resolve));
  socket.write('hello');
  expect((await echoed).toString()).toBe('hello');
  return { socket, closed };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} not within ${ms} ms`)), ms).unref())]);
}

describe('portal sessions end with the secure channel under them', () => {
  it('closing the channel ends the open session on both sides: client and target connections are reset', async () => {
    const { channel, inlet, outlet, address, targetClosed } = await setup();
    const { closed } = await echoingClient(address);
    expect(inlet.status().sessions).toBe(1);
    await channel.close();
    expect(await within(closed, 2_000, 'client connection closed')).toBe('ECONNRESET');
    expect(inlet.status()).toMatchObject({ sessionsAborted: 1, connected: false, lastError: 'session aborted: the channel to the outlet closed' });
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions, { timeout: 2_000 }).toBe(0);
    await expect.poll(targetClosed, { timeout: 2_000 }).toBe(1);
  });

  it('the outlet ends its session when only its side of the channel dies', async () => {
    const { b, inlet, outlet, address, targetClosed } = await setup();
    await echoingClient(address);
    expect(outlet.status().sessions).toBe(1);
    const responder = SecureChannelRegistry.of(b.node).list()[0]!;
    // Tear down B's end alone (as a dead transport would), without telling A.
    await SecureChannelRegistry.of(b.node).get(responder.address)!.teardown('test: transport died');
    await expect.poll(() => outlet.status().sessions, { timeout: 2_000 }).toBe(0);
    await expect.poll(targetClosed, { timeout: 2_000 }).toBe(1);
    // A's end of the channel is still open, so the inlet side keeps its session.
    expect(inlet.status().sessions).toBe(1);
  });

  it('a provider-given closed signal ends every session on that route, and a new session opens on a fresh route', async () => {
    let controller = new AbortController();
    const { inlet, address } = await setup((channel) => () => ({ route: [local(channel.address), local('outlet')], closed: controller.signal }));
    const first = await echoingClient(address);
    const second = await echoingClient(address);
    const dying = controller;
    controller = new AbortController();
    dying.abort();
    expect(await within(Promise.all([first.closed, second.closed]), 2_000, 'both client connections closed')).toEqual(['ECONNRESET', 'ECONNRESET']);
    await expect.poll(() => inlet.status().sessions, { timeout: 2_000 }).toBe(0);
    const third = await echoingClient(address);
    expect(third.socket.destroyed).toBe(false);
  });

  it('a session whose route is already closed fails at once', async () => {
    const closed = AbortSignal.abort();
    const { inlet, address } = await setup((channel) => () => ({ route: [local(channel.address), local('outlet')], closed }));
    const { host, port } = parseHostPort(address, { what: 'inlet', origin: 'portal' });
    const socket = connect({ host, port });
    const ended = new Promise<string>((resolve) => {
      socket.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      socket.once('end', () => resolve('end'));
    });
    socket.resume();
    // Reset, never an orderly end: the client cannot take the refusal for an empty answer.
    expect(await within(ended, 2_000, 'client connection reset')).toBe('ECONNRESET');
    socket.destroy();
    expect(inlet.status().sessionsFailed).toBe(1);
  });
});

describe('many sessions on one channel', () => {
  it('share its closed signal without listener warnings, and all end when it closes', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(w.name); };
    process.on('warning', onWarning);
    cleanups.push(() => { process.off('warning', onWarning); });
    const { channel, inlet, address } = await setup();
    const clients = [];
    for (let i = 0; i < 15; i++) clients.push(await echoingClient(address));
    expect(inlet.status().sessions).toBe(15);
    await channel.close();
    await within(Promise.all(clients.map((c) => c.closed)), 3_000, 'every client connection closed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });
});
