import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { allowAll } from '../node/access-control.js';
import { EchoWorker } from '../node/echo-worker.js';
import { Node } from '../node/node.js';
import { local, tcp } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { decodeMessage, encodeMessage } from '../routing/message-codec.js';
import { TcpTransport } from './tcp-transport.js';
import type { TcpTransportOptions } from './tcp-transport.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Peer { node: Node; transport: TcpTransport; address: string }

async function peer(name: string, options: TcpTransportOptions = {}, listen = true, forwardTo: readonly string[] = []): Promise<Peer> {
  const node = new Node({ name, allowForwardingTo: forwardTo.map((d) => tcp(d)) });
  const transport = new TcpTransport(node, options);
  cleanups.push(() => node.stop());
  await node.startWorker('echo', new EchoWorker(), { incoming: allowAll });
  const address = listen ? (await transport.listen('127.0.0.1:0')).address : '';
  return { node, transport, address };
}

/** A raw client socket; collects what it receives. */
async function rawClient(address: string): Promise<{ socket: Socket; received: Buffer[]; closed: Promise<void> }> {
  const [host, port] = address.split(':');
  const socket = connect({ host: host!, port: Number(port) });
  socket.on('error', () => undefined);
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  cleanups.push(async () => { socket.destroy(); await closed; });
  await new Promise<void>((r, j) => { socket.once('connect', () => r()); socket.once('error', j); });
  return { socket, received, closed };
}

function frame(body: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

async function echoOver(from: Node, route: Message['onwardRoute'], payload = 'ping'): Promise<string> {
  const reply = await from.request(route, bytes(payload), { timeoutMs: 5_000 });
  return text(reply.payload);
}

describe('TcpTransport', () => {
  it('echoes over one hop, with the connection address as return hop', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b');
    const reply = await a.node.request([tcp(b.address), local('echo')], bytes('hello'), { timeoutMs: 5_000 });
    expect(text(reply.payload)).toBe('hello');
    expect(reply.origin).toEqual({ via: 'tcp' });
    const [outgoing] = a.transport.connections();
    expect(outgoing).toMatchObject({ remote: b.address, direction: 'outgoing' });
    expect(reply.returnRoute[0]).toEqual(local(outgoing!.workerAddress));
    expect(b.transport.connections()).toMatchObject([{ direction: 'incoming' }]);
    expect(b.transport.stats.framesIn).toBe(1);
  });

  it('routes across three nodes A -> B -> C and back', async () => {
    const a = await peer('a', {}, false);
    const c = await peer('c');
    const b = await peer('b', {}, true, [c.address]);
    expect(await echoOver(a.node, [tcp(b.address), tcp(c.address), local('echo')], 'three hops')).toBe('three hops');
    expect(c.transport.connections()).toHaveLength(1);
    expect(b.transport.connections().map((x) => x.direction).sort()).toEqual(['incoming', 'outgoing']);
  });

  it('refuses to forward bare-TCP traffic to another TCP address unless the node allows it', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b');
    const c = await peer('c');
    await expect(a.node.request([tcp(b.address), tcp(c.address), local('echo')], new TextEncoder().encode('x'), { timeoutMs: 300 }))
      .rejects.toMatchObject({ kind: 'timeout' });
    expect(b.node.stats.denied).toBe(1);
    expect(c.transport.connections()).toHaveLength(0);
    expect(await echoOver(a.node, [tcp(b.address), local('echo')], 'still serving')).toBe('still serving');
  });

  it('forwards messages from outside to the allowed destinations only', async () => {
    const a = await peer('a', {}, false);
    const c = await peer('c');
    const d = await peer('d');
    const b = await peer('b', {}, true, [c.address]);
    expect(await echoOver(a.node, [tcp(b.address), tcp(c.address), local('echo')], 'allowed')).toBe('allowed');
    await expect(a.node.request([tcp(b.address), tcp(d.address), local('echo')], bytes('x'), { timeoutMs: 300 }))
      .rejects.toMatchObject({ kind: 'timeout' });
    expect(b.node.stats.forwardingRefused).toBe(1);
    expect(d.transport.connections()).toHaveLength(0);
  });

  it('names connection workers unguessably and closes them to messages from outside', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b');
    const c = await peer('c', {}, false);
    expect(await echoOver(a.node, [tcp(b.address), local('echo')])).toBe('ping');
    expect(await echoOver(c.node, [tcp(b.address), local('echo')])).toBe('ping');
    const conns = b.transport.connections();
    for (const conn of conns) expect(conn.workerAddress).toMatch(/^tcp-conn\.[0-9a-f]{16}$/);
    // c names a's connection on b: b refuses, a sees nothing.
    const framesAtA = a.transport.stats.framesIn;
    const denied = b.node.stats.denied;
    for (const conn of conns) c.node.send([tcp(b.address), local(conn.workerAddress), local('echo')], bytes('hijack'), { returnRoute: [local('x')] });
    await expect.poll(() => b.node.stats.denied).toBe(denied + 2);
    expect(a.transport.stats.framesIn).toBe(framesAtA);
  });

  it('caps the connections of one source; closes the ones past the cap on arrival', async () => {
    const b = await peer('b', { maxConnectionsPerSource: 3 });
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => rawClient(b.address)));
    await expect.poll(() => b.transport.budget.stats.refusedConnections).toBe(2);
    expect(b.transport.connections()).toHaveLength(3);
    clients[0]!.socket.destroy();
    await expect.poll(() => b.transport.connections().length).toBe(2);
    await rawClient(b.address);
    await expect.poll(() => b.transport.connections().length).toBe(3);
  });

  it('holds memory for the bytes of a half-sent frame, not its announced length, within a budget', async () => {
    const b = await peer('b', { maxPartialFrameBytesPerSource: 40 * 1024 });
    const header = Buffer.alloc(5);
    header.writeUInt32BE(256 * 1024, 1);
    header[0] = 1;
    const first = await rawClient(b.address);
    first.socket.write(Buffer.concat([header, Buffer.alloc(1)]));
    await expect.poll(() => b.transport.budget.stats.partialFrameBytes).toBe(16 * 1024);
    const second = await rawClient(b.address);
    second.socket.write(Buffer.concat([header, Buffer.alloc(1)]));
    await expect.poll(() => b.transport.budget.stats.partialFrameBytes).toBe(32 * 1024);
    const third = await rawClient(b.address);
    third.socket.write(Buffer.concat([header, Buffer.alloc(1)]));
    await third.closed;
    expect(b.transport.budget.stats.closedForPartialFrames).toBe(1);
    first.socket.destroy();
    second.socket.destroy();
    await expect.poll(() => b.transport.budget.stats.partialFrameBytes).toBe(0);
  });

  it('closes a peer that sends requests and never reads the replies', async () => {
    const b = await peer('b', { writeHighWaterMark: 256 * 1024, maxBufferedBytesPerSource: 2 * 1024 * 1024 });
    const [host, port] = b.address.split(':');
    const socket = connect({ host: host!, port: Number(port) });
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    cleanups.push(async () => { socket.destroy(); await closed; });
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.pause();
    socket.write(Uint8Array.of(1));
    const request = frame(encodeMessage({ onwardRoute: [local('echo')], returnRoute: [local('me')], payload: new Uint8Array(60 * 1024) }));
    for (let i = 0; i < 2000 && !socket.destroyed; i++) {
      if (!socket.write(request)) await new Promise((r) => setTimeout(r, 5));
    }
    await closed;
    expect(b.transport.budget.stats.closedForBuffering).toBe(1);
    await expect.poll(() => b.transport.budget.stats.bufferedBytes).toBe(0);
  });

  it('shares one lazy connect between concurrent sends, and drops on connect failure', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b');
    const replies = await Promise.all([1, 2, 3, 4, 5].map((i) => echoOver(a.node, [tcp(b.address), local('echo')], String(i))));
    expect(replies).toEqual(['1', '2', '3', '4', '5']);
    expect(a.transport.connections()).toHaveLength(1);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const dropped = a.node.stats.dropped;
    a.node.send([tcp(`127.0.0.1:${deadPort}`), local('echo')], bytes('x'));
    await expect.poll(() => a.transport.stats.connectFailures).toBe(1);
    expect(a.node.stats.dropped).toBe(dropped + 1);
  });

  it('closes only the connection that announces an oversized frame', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b', { maxFrameSize: 1024 });
    expect(await echoOver(a.node, [tcp(b.address), local('echo')])).toBe('ping');
    const raw = await rawClient(b.address);
    raw.socket.write(Buffer.from([1, 0, 0, 0x04, 0x01]));
    await raw.closed;
    expect(b.transport.stats.oversized).toBe(1);
    expect(await echoOver(a.node, [tcp(b.address), local('echo')], 'still works')).toBe('still works');
  });

  it('closes on a wrong version byte, drops malformed frames but keeps the connection', async () => {
    const b = await peer('b');
    const wrongVersion = await rawClient(b.address);
    wrongVersion.socket.write(Buffer.from([9, 0, 0, 0, 0]));
    await wrongVersion.closed;
    expect(b.transport.stats.badVersion).toBe(1);

    const raw = await rawClient(b.address);
    raw.socket.write(Buffer.concat([Buffer.from([1]), frame(Buffer.from('garbage')), frame(Uint8Array.of(1, 1, 0))]));
    await expect.poll(() => b.transport.stats.malformed).toBe(2);
    const request = encodeMessage({ onwardRoute: [local('echo')], returnRoute: [local('raw-client')], payload: bytes('over raw') });
    raw.socket.write(frame(request));
    await expect.poll(() => Buffer.concat(raw.received).length).toBeGreaterThan(4);
    const reply = Buffer.concat(raw.received);
    const replyMessage = decodeMessage(reply.subarray(4, 4 + reply.readUInt32BE(0)));
    expect(text(replyMessage.payload)).toBe('over raw');
    expect(replyMessage.onwardRoute).toEqual([local('raw-client')]);
    expect(b.node.stats.malformed).toBe(2);
  });

  it('survives random bytes on many connections while another keeps working (fuzz)', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b', { maxFrameSize: 4096 });
    expect(await echoOver(a.node, [tcp(b.address), local('echo')])).toBe('ping');
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 300 }), async (versioned, junk) => {
        const raw = await rawClient(b.address);
        raw.socket.write(versioned ? Buffer.concat([Buffer.from([1]), junk]) : junk);
        await sleep(2);
        raw.socket.destroy();
        await raw.closed;
      }),
      { numRuns: 40 },
    );
    expect(await echoOver(a.node, [tcp(b.address), local('echo')], 'after fuzz')).toBe('after fuzz');
    await expect.poll(() => b.transport.connections()).toHaveLength(1);
  });

  it('sends heartbeats on idle connections and closes a silent peer', async () => {
    const options = { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 250 };
    const a = await peer('a', options, false);
    const b = await peer('b', options);
    expect(await echoOver(a.node, [tcp(b.address), local('echo')])).toBe('ping');
    const silent = await rawClient(b.address);
    silent.socket.write(Buffer.from([1]));
    const started = Date.now();
    await silent.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(b.transport.stats.heartbeatTimeouts).toBe(1);
    expect(Buffer.concat(silent.received).subarray(0, 4)).toEqual(Buffer.alloc(4));
    await sleep(350);
    expect(a.transport.connections()).toHaveLength(1);
    expect(a.transport.stats.heartbeatTimeouts + b.transport.stats.heartbeatTimeouts).toBe(1);
    expect(await echoOver(a.node, [tcp(b.address), local('echo')], 'idle but alive')).toBe('idle but alive');
  });

  it('bounds what a relay buffers for a peer that stops reading (back-pressure)', async () => {
    const highWaterMark = 256 * 1024;
    const sink: Server = createServer((socket) => socket.pause());
    const sinkSockets = new Set<Socket>();
    sink.on('connection', (s) => sinkSockets.add(s));
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => { for (const s of sinkSockets) s.destroy(); sink.close(() => r()); }));
    const sinkAddress = `127.0.0.1:${(sink.address() as AddressInfo).port}`;

    // a queues all 48 MiB on its own connection: its budgets are raised for this test.
    const big = { maxBufferedBytesPerSource: 256 * 1024 * 1024, maxBufferedBytesTotal: 256 * 1024 * 1024 };
    const a = await peer('a', { maxBufferedBytes: 128 * 1024 * 1024, ...big }, false);
    const b = await peer('b', { writeHighWaterMark: highWaterMark, maxBufferedBytes: 512 * 1024 * 1024 }, true, [sinkAddress]);
    await a.transport.connect(b.address);
    await b.transport.connect(sinkAddress);
    const payload = new Uint8Array(16 * 1024);
    let peak = 0;
    let sawPause = false;
    let sampling = true;
    const sample = (): void => {
      for (const c of b.transport.connections()) {
        if (c.remote === sinkAddress) peak = Math.max(peak, c.bufferedBytes);
        if (c.direction === 'incoming' && c.paused) sawPause = true;
      }
      if (sampling) setImmediate(sample);
    };
    sample();
    for (let i = 0; i < 3072; i++) a.node.send([tcp(b.address), tcp(sinkAddress), local('x')], payload);
    await expect.poll(() => sawPause, { timeout: 10_000 }).toBe(true);
    await sleep(300);
    sampling = false;
    const aBuffered = a.transport.connections()[0]!.bufferedBytes;
    expect(b.transport.stats.writeDropped).toBe(0);
    expect(peak).toBeGreaterThan(highWaterMark);
    expect(peak).toBeLessThan(highWaterMark + 2 * 64 * 1024 + payload.length + 1024);
    expect(aBuffered).toBeGreaterThan(0);

    let delivered = 0;
    for (const s of sinkSockets) {
      s.on('data', (d: Buffer) => { delivered += d.length; });
      s.resume();
    }
    await expect.poll(() => delivered, { timeout: 10_000 }).toBeGreaterThan(3072 * payload.length);
    expect(b.transport.connections().every((c) => !c.paused)).toBe(true);
  });

  it('stop() releases every socket, timer and listener', async () => {
    const resources = (): string[] => process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
    await sleep(20);
    const before = resources();
    const a = new Node({ name: 'a' });
    const b = new Node({ name: 'b' });
    const ta = new TcpTransport(a, { heartbeatIntervalMs: 20 });
    const tb = new TcpTransport(b, { heartbeatIntervalMs: 20 });
    await b.startWorker('echo', new EchoWorker(), { incoming: allowAll });
    const { address } = await tb.listen('127.0.0.1:0');
    expect(await echoOver(a, [tcp(address), local('echo')])).toBe('ping');
    const closedInfo: string[] = [];
    ta.onClosed((info) => closedInfo.push(info.direction));
    await a.stop();
    await b.stop();
    expect(closedInfo).toEqual(['outgoing']);
    expect(ta.connections()).toEqual([]);
    expect(tb.connections()).toEqual([]);
    expect(resources()).toEqual(before);
    await expect(ta.listen('127.0.0.1:0')).rejects.toThrow(/stopped/);
  });
});
