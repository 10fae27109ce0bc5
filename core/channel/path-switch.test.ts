import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowAll, allowSecureChannelOrLocal } from '../node/access-control.js';
import type { Worker } from '../node/worker.js';
import { local, tcp, udp } from '../routing/address.js';
import type { Message, Route } from '../routing/message.js';
import { UdpTransport } from '../transport/udp-transport.js';
import { createSecureChannel } from './create-secure-channel.js';
import type { SecureChannel } from './secure-channel.js';
import { SecureChannelListener } from './secure-channel-listener.js';
import { SecureChannelRegistry } from './secure-channel-registry.js';
import { testActor, testAuthority, type TestActor, type TestAuthority } from './testing/channel-fixtures.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let authority: TestAuthority;
beforeAll(async () => {
  authority = await testAuthority();
});

/** Collects the u32 index at the start of each payload it receives. */
class Sink implements Worker {
  readonly indexes: number[] = [];
  handleMessage(_ctx: unknown, message: Message): void {
    this.indexes.push(Buffer.from(message.payload).readUInt32BE(0));
  }
}

/** A hop that passes messages on until `closed`, then drops them: a direct path that died with frames in flight. */
class Gate implements Worker {
  closed = false;
  passed = 0;
  handleMessage(ctx: Parameters<Worker['handleMessage']>[0], message: Message): void {
    if (this.closed) return;
    this.passed++;
    ctx.forward({ ...message, onwardRoute: message.onwardRoute.slice(1) });
  }
}

function numbered(i: number, size = 3000): Uint8Array {
  const payload = Buffer.alloc(size, i & 0xff);
  payload.writeUInt32BE(i, 0);
  return payload;
}

/** A -> B channel over TCP (the "relay" lane), B's UDP listener, B's sink and gate, both direct lanes open. */
async function pair(): Promise<{ a: TestActor; b: TestActor; atA: SecureChannel; atB: SecureChannel; sink: Sink; gate: Gate; directRoute: Route }> {
  const a = await testActor('a', authority, { role: 'a' }, [authority]);
  const b = await testActor('b', authority, { role: 'b' }, [authority]);
  cleanups.push(() => a.node.stop(), () => b.node.stop());
  const udpA = new UdpTransport(a.node);
  const udpB = new UdpTransport(b.node);
  cleanups.push(() => udpA.stop(), () => udpB.stop());
  const { address: udpAt } = await udpB.listen('127.0.0.1:0');
  await SecureChannelListener.start(b.node, b.options());
  const sink = new Sink();
  const gate = new Gate();
  await b.node.startWorker('sink', sink, { incoming: allowSecureChannelOrLocal });
  await b.node.startWorker('gate', gate, { incoming: allowAll });
  const atA = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
  const registry = SecureChannelRegistry.of(b.node);
  const atB = registry.get(registry.list()[0]!.address)!;
  await Promise.all([atA.openDirectLane(), atB.openDirectLane()]);
  // The direct path answers before a channel moves onto it.
  await udpA.connect(udpAt);
  return { a, b, atA, atB, sink, gate, directRoute: [udp(udpAt), local('gate'), atA.peerDirectDecryptor] };
}

describe('an end-to-end channel moving between a relay lane and a direct lane', () => {
  it('keeps every message in order across a switch to the direct lane and back, without a new handshake', async () => {
    const { a, atA, atB, sink, gate, directRoute } = await pair();
    const total = 3000;
    for (let i = 0; i < total; i++) {
      if (i === 1000) expect(atA.useDirect(directRoute)).toBe(true);
      if (i === 2000) atA.useRelay({ lost: false });
      a.node.send([local(atA.address), local('sink')], numbered(i));
      if (i % 100 === 0) await sleep(1);
    }
    await expect.poll(() => sink.indexes.length, { timeout: 20_000 }).toBe(total);
    expect(sink.indexes).toEqual([...Array(total).keys()]);
    expect(gate.passed).toBeGreaterThan(900);
    expect(atA.stats).toMatchObject({ switchesToDirect: 1, switchesToRelay: 1, forged: 0 });
    expect(atB.stats.forged + atB.stats.replayed).toBe(0);
    expect(atB.receivingPath).toBe('relay');
  }, 30_000);

  it('loses nothing when the direct lane dies with frames in flight: they are sent again on the relay lane, in order', async () => {
    const { a, atA, atB, sink, gate, directRoute } = await pair();
    for (let i = 0; i < 200; i++) a.node.send([local(atA.address), local('sink')], numbered(i));
    atA.useDirect(directRoute);
    for (let i = 200; i < 500; i++) a.node.send([local(atA.address), local('sink')], numbered(i));
    await expect.poll(() => sink.indexes.length, { timeout: 10_000 }).toBe(500);
    // The direct path dies: what is sent on it from now on is lost in flight.
    gate.closed = true;
    for (let i = 500; i < 800; i++) a.node.send([local(atA.address), local('sink')], numbered(i));
    await sleep(300);
    expect(sink.indexes.length).toBe(500);
    // The sender sees the direct lane dead: back to the relay lane, resending what it sent directly.
    atA.useRelay({ lost: true });
    for (let i = 800; i < 1000; i++) a.node.send([local(atA.address), local('sink')], numbered(i));
    await sleep(200);
    // The receiver still waits for the direct lane: nothing new is delivered out of order meanwhile.
    expect(sink.indexes.length).toBe(500);
    expect(atB.receivingPath).toBe('direct');
    atB.directLost();
    await expect.poll(() => sink.indexes.length, { timeout: 10_000 }).toBe(1000);
    expect(sink.indexes).toEqual([...Array(1000).keys()]);
    expect(atB.stats.replayed).toBeGreaterThan(0);
    expect(atB.stats.forged).toBe(0);
    expect(atB.receivingPath).toBe('relay');
  }, 30_000);

  it('closes the channel rather than deliver a hole when more was lost on the direct lane than it can resend', async () => {
    const { a, atA, atB, sink, gate, directRoute } = await pair();
    atA.useDirect(directRoute);
    for (let i = 0; i < 100; i++) a.node.send([local(atA.address), local('sink')], numbered(i));
    await expect.poll(() => sink.indexes.length, { timeout: 10_000 }).toBe(100);
    gate.closed = true;
    // More frames than the resend keeps (512) are lost in flight.
    for (let i = 100; i < 800; i++) a.node.send([local(atA.address), local('sink')], numbered(i));
    await sleep(300);
    const closed = new Promise<string>((resolve) => atB.onClosed(resolve));
    atA.useRelay({ lost: true });
    atB.directLost();
    expect(await closed).toMatch(/frames lost with the direct path/);
    expect(sink.indexes).toEqual([...Array(100).keys()]);
  }, 30_000);
});
