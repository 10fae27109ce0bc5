import { createSocket } from 'node:dgram';
import type { Socket as DgramSocket } from 'node:dgram';
import UDX from 'udx-native';
import { afterEach, describe, expect, it } from 'vitest';
import { allowAll } from '../node/access-control.js';
import { EchoWorker } from '../node/echo-worker.js';
import { Node } from '../node/node.js';
import { local, udp } from '../routing/address.js';
import { parseRoute } from '../routing/route.js';
import { parseHostPort } from './host-port.js';
import { ACCEPT, OPEN, REFUSE, decodePairing, encodePairing } from './udp-pairing.js';
import type { PairingDatagram } from './udp-pairing.js';
import { UdpStreamSocket, createUdpStream } from './udp-stream-socket.js';
import { UdpTransport } from './udp-transport.js';
import type { UdpTransportOptions } from './udp-transport.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Peer { node: Node; transport: UdpTransport; address: string }

async function peer(name: string, options: UdpTransportOptions = {}, listen = true): Promise<Peer> {
  const node = new Node({ name });
  const transport = new UdpTransport(node, options);
  cleanups.push(async () => {
    await transport.stop();
    await node.stop();
  });
  await node.startWorker('echo', new EchoWorker(), { incoming: allowAll });
  const address = listen ? (await transport.listen('127.0.0.1:0')).address : '';
  return { node, transport, address };
}

/** A plain UDP socket outside the product that collects the pairing answers it gets. */
async function datagramProbe(): Promise<{ socket: DgramSocket; answers: PairingDatagram[]; send(datagram: Uint8Array, address: string): void }> {
  const socket = createSocket('udp4');
  const answers: PairingDatagram[] = [];
  socket.on('message', (datagram) => {
    const answer = decodePairing(datagram);
    if (answer !== undefined) answers.push(answer);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    socket,
    answers,
    send: (datagram, address) => {
      const { host, port } = parseHostPort(address);
      socket.send(datagram, port, host);
    },
  };
}

describe('UdpTransport', () => {
  it('echoes over one UDP hop (route /ip4/../udp/..), by IP address and by DNS name, with origin tcp', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b');
    const { port } = parseHostPort(b.address);
    const reply = await a.node.request([...parseRoute(`/ip4/127.0.0.1/udp/${port}`), local('echo')], bytes('hello'), { timeoutMs: 5_000 });
    expect(text(reply.payload)).toBe('hello');
    expect(reply.origin).toEqual({ via: 'tcp' });
    const byName = await a.node.request([udp(`localhost:${port}`), local('echo')], bytes('by name'), { timeoutMs: 5_000 });
    expect(text(byName.payload)).toBe('by name');
    expect(a.transport.connections().map((c) => c.remote).sort()).toEqual([`127.0.0.1:${port}`, `localhost:${port}`]);
    expect(b.transport.connections()).toHaveLength(2);
  });

  it('answers a repeated OPEN with the same ACCEPT, refuses an unknown version, ignores stray datagrams and keeps serving', async () => {
    const b = await peer('b');
    const a = await peer('a', {}, false);
    const probe = await datagramProbe();
    probe.send(encodePairing(OPEN, 77), b.address);
    probe.send(encodePairing(OPEN, 77), b.address);
    await expect.poll(() => probe.answers.length, { timeout: 5_000 }).toBe(2);
    expect(probe.answers[0]).toMatchObject({ kind: ACCEPT, initiator: 77 });
    expect(probe.answers[1]).toEqual(probe.answers[0]);
    expect(b.transport.connections()).toHaveLength(1);

    probe.send(encodePairing(OPEN, 78, 0, 9), b.address);
    await expect.poll(() => probe.answers.length, { timeout: 5_000 }).toBe(3);
    expect(probe.answers[2]).toMatchObject({ kind: REFUSE, initiator: 78 });
    expect(b.transport.stats.badVersion).toBe(1);

    for (const junk of [Buffer.from('hello'), Buffer.alloc(0), Buffer.alloc(1400, 0xff), encodePairing(ACCEPT, 5, 6)]) probe.send(junk, b.address);
    await expect.poll(() => b.transport.stats.strayDatagrams, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);
    expect(text((await a.node.request([udp(b.address), local('echo')], bytes('still'), { timeoutMs: 5_000 })).payload)).toBe('still');
  });

  it('refuses OPEN past the per-source connection cap, and past the listener cap', async () => {
    const b = await peer('b', { maxConnectionsPerSource: 3 });
    const probe = await datagramProbe();
    for (let i = 1; i <= 5; i++) probe.send(encodePairing(OPEN, i), b.address);
    await expect.poll(() => probe.answers.length, { timeout: 5_000 }).toBe(5);
    expect(probe.answers.filter((d) => d.kind === ACCEPT)).toHaveLength(3);
    expect(probe.answers.filter((d) => d.kind === REFUSE).map((d) => d.initiator).sort()).toEqual([4, 5]);
    expect(b.transport.budget.stats.refusedConnections).toBe(2);
    expect(b.transport.connections()).toHaveLength(3);

    const c = await peer('c', { maxIncomingConnections: 1 });
    probe.send(encodePairing(OPEN, 10), c.address);
    probe.send(encodePairing(OPEN, 11), c.address);
    await expect.poll(() => probe.answers.length, { timeout: 5_000 }).toBe(7);
    expect(probe.answers.slice(5).map((d) => d.kind)).toEqual([ACCEPT, REFUSE]);
  });

  it('takes ACCEPT only from the address it dialed: a third party cannot answer for the listener', async () => {
    const a = await peer('a', { connectTimeoutMs: 1_500 }, false);
    // A listener that never answers; a spoofer that answers every OPEN it sees from elsewhere.
    const silent = await datagramProbe();
    const silentAddress = `127.0.0.1:${silent.socket.address().port}`;
    const opens: number[] = [];
    silent.socket.on('message', (datagram, from) => {
      const open = decodePairing(datagram);
      if (open?.kind !== OPEN) return;
      opens.push(open.initiator);
      const spoofer = createSocket('udp4');
      spoofer.send(encodePairing(ACCEPT, open.initiator, 1234), from.port, from.address, () => spoofer.close());
    });
    await expect(a.transport.connect(silentAddress)).rejects.toMatchObject({ kind: 'timeout' });
    expect(opens.length).toBeGreaterThan(1);
    expect(a.transport.connections()).toEqual([]);
  });

  it('fails a connect to a port nobody listens on with a timeout, and a refused one at once', async () => {
    const a = await peer('a', { connectTimeoutMs: 1_000 }, false);
    const probe = await datagramProbe();
    await expect(a.transport.connect(`127.0.0.1:${probe.socket.address().port}`)).rejects.toMatchObject({ kind: 'timeout', origin: 'transport' });
    const full = await peer('full', { maxIncomingConnections: 1 });
    const other = await peer('other', {}, false);
    await other.transport.connect(full.address);
    const patient = await peer('patient', { connectTimeoutMs: 60_000 }, false);
    const started = Date.now();
    await expect(patient.transport.connect(full.address)).rejects.toThrow(/refused/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('releases its port on stop, so a new node can listen there', async () => {
    const b = await peer('b');
    const a = await peer('a', {}, false);
    expect(text((await a.node.request([udp(b.address), local('echo')], bytes('x'), { timeoutMs: 5_000 })).payload)).toBe('x');
    await b.transport.stop();
    await b.node.stop();
    const again = new UdpTransport(new Node({ name: 'again' }));
    cleanups.push(() => again.stop());
    expect((await again.listen(b.address)).address).toBe(b.address);
  });
});

describe('UdpStreamSocket', () => {
  it('counts unacknowledged bytes, and closes a paused stream whose peer sends past what onHeld allows', async () => {
    const udx = new UDX();
    const sa = udx.createSocket();
    const sb = udx.createSocket();
    sa.bind(0, '127.0.0.1');
    sb.bind(0, '127.0.0.1');
    const a = new UdpStreamSocket(createUdpStream(udx, 1));
    const b = new UdpStreamSocket(createUdpStream(udx, 2));
    a.stream.connect(sa, 2, sb.address()!.port, '127.0.0.1');
    b.stream.connect(sb, 1, sa.address()!.port, '127.0.0.1');
    cleanups.push(async () => {
      a.destroy();
      b.destroy();
      await Promise.all([sa.close(), sb.close()]);
    });
    a.on('error', () => undefined);
    b.on('error', () => undefined);
    let received = 0;
    b.on('data', (chunk: Buffer) => { received += chunk.length; });
    a.write(Buffer.alloc(100_000));
    expect(a.writableLength).toBe(100_000);
    await expect.poll(() => received, { timeout: 5_000 }).toBe(100_000);
    await expect.poll(() => a.writableLength, { timeout: 5_000 }).toBe(0);

    const held: number[] = [];
    b.onHeld = (bytes) => { held.push(bytes); return bytes <= 64 * 1024; };
    b.pause();
    const closed = new Promise<void>((resolve) => b.once('close', () => resolve()));
    for (let i = 0; i < 64; i++) a.write(Buffer.alloc(16 * 1024));
    await closed;
    expect(received).toBe(100_000);
    expect(Math.max(...held)).toBeGreaterThan(64 * 1024);
    expect(held[held.length - 1]).toBe(0);
    expect(b.destroyed).toBe(true);
  });

  it('delivers what it held while paused, in order, on resume', async () => {
    const udx = new UDX();
    const sa = udx.createSocket();
    const sb = udx.createSocket();
    sa.bind(0, '127.0.0.1');
    sb.bind(0, '127.0.0.1');
    const a = new UdpStreamSocket(createUdpStream(udx, 1));
    const b = new UdpStreamSocket(createUdpStream(udx, 2));
    a.stream.connect(sa, 2, sb.address()!.port, '127.0.0.1');
    b.stream.connect(sb, 1, sa.address()!.port, '127.0.0.1');
    cleanups.push(async () => {
      a.destroy();
      b.destroy();
      await Promise.all([sa.close(), sb.close()]);
    });
    const chunks: Buffer[] = [];
    b.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
    const heldNow: number[] = [];
    b.onHeld = (bytes) => { heldNow.push(bytes); return true; };
    b.pause();
    const sent = Buffer.alloc(200_000);
    for (let i = 0; i < sent.length; i++) sent[i] = i % 251;
    a.write(sent);
    await expect.poll(() => heldNow[heldNow.length - 1] ?? 0, { timeout: 5_000 }).toBe(sent.length);
    expect(chunks).toEqual([]);
    b.resume();
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    expect(heldNow[heldNow.length - 1]).toBe(0);
  });
});
