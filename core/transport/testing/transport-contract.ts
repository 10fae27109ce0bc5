import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { allowAll } from '../../node/access-control.js';
import { EchoWorker } from '../../node/echo-worker.js';
import { Node } from '../../node/node.js';
import type { Worker } from '../../node/worker.js';
import type { Address } from '../../routing/address.js';
import { local } from '../../routing/address.js';
import type { Message } from '../../routing/message.js';
import { decodeMessage, encodeMessage } from '../../routing/message-codec.js';
import type { Transport, TransportLimits } from '../transport.js';

/** A connection opened from outside the product, to write any bytes. */
export interface RawPeer {
  /** Writes bytes as they are. */
  write(bytes: Uint8Array): void;
  /** Every byte received so far. */
  received(): Uint8Array;
  /** Resolves once the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** Closes the connection and waits until it is closed. */
  destroy(): Promise<void>;
}

/** A server, outside the product, that accepts connections and reads nothing until `resume`. */
export interface StalledServer {
  /** The address a transport dials. */
  readonly address: string;
  /** Connections accepted so far. */
  accepted(): number;
  /** Starts reading (and discarding) on every accepted connection. */
  resume(): void;
  /** Bytes read since `resume`. */
  bytesRead(): number;
  close(): Promise<void>;
}

/** The transport's wire, as a test outside the product speaks it. */
export interface TransportWire {
  /** Opens a raw connection to a listener of the transport; nothing is sent yet. */
  connect(address: string): Promise<RawPeer>;
  /** Starts a server that never reads until told to. */
  stalledServer(): Promise<StalledServer>;
  /** What a connecting peer sends first (the version byte). */
  readonly hello: Uint8Array;
  /** A first message the listener must refuse (a wrong version byte). */
  readonly badHello: Uint8Array;
  /** One frame carrying `body`. */
  frame(body: Uint8Array): Uint8Array;
  /** The start of a frame that announces `length` body bytes (the body is not included). */
  frameHeader(length: number): Uint8Array;
  /** The complete, non-empty frame bodies in `bytes` (heartbeats left out). */
  readFrames(bytes: Uint8Array): Uint8Array[];
}

/** What a contract run needs from a transport. */
export interface TransportContractFixture {
  /** Creates the transport under test on `node` (it registers its router). */
  create(node: Node, limits: TransportLimits): Transport;
  /** The address tests listen on: loopback, any free port. */
  readonly listenAddress: string;
  /** The route address of a listener at `address` (e.g. `tcp(address)`). */
  route(address: string): Address;
  readonly wire: TransportWire;
}

interface Peer {
  readonly node: Node;
  readonly transport: Transport;
  /** Where it listens ('' when it does not). */
  readonly address: string;
}

/** A worker that keeps every message it receives. */
class Collector implements Worker {
  readonly messages: Message[] = [];
  handleMessage(_ctx: unknown, message: Message): void {
    this.messages.push({ ...message, payload: Uint8Array.from(message.payload) });
  }
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A numbered payload of `size` bytes (at least 4): u32 index, then filler. */
function numbered(index: number, size: number): Uint8Array {
  const payload = Buffer.alloc(Math.max(4, size), index & 0xff);
  payload.writeUInt32BE(index, 0);
  return payload;
}
const indexOf = (m: Message): number => Buffer.from(m.payload.buffer, m.payload.byteOffset, 4).readUInt32BE(0);

/**
 * The behaviour every {@link Transport} must have: order, frame bounds, back-pressure,
 * close propagation, malformed input, many connections. Registers a vitest `describe`
 * named `name`; call it from the transport's own `*.contract.test.ts`. Every node and
 * connection a test opens is closed after it; everything runs on loopback in seconds.
 */
export function transportContract(name: string, fixture: TransportContractFixture): void {
  describe(`Transport contract: ${name}`, () => {
    const cleanups: Array<() => Promise<void> | void> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    let counter = 0;
    async function peer(limits: TransportLimits = {}, listen = true): Promise<Peer> {
      const node = new Node({ name: `contract-${++counter}` });
      const transport = fixture.create(node, limits);
      cleanups.push(async () => {
        await transport.stop();
        await node.stop();
      });
      await node.startWorker('echo', new EchoWorker(), { incoming: allowAll });
      const address = listen ? (await transport.listen(fixture.listenAddress)).address : '';
      return { node, transport, address };
    }

    async function raw(address: string): Promise<RawPeer> {
      const peer = await fixture.wire.connect(address);
      cleanups.push(() => peer.destroy());
      return peer;
    }

    async function echo(from: Peer, to: Peer, payload: string): Promise<string> {
      const reply = await from.node.request([fixture.route(to.address), local('echo')], bytes(payload), { timeoutMs: 10_000 });
      return text(reply.payload);
    }

    /** An echo request as a frame body, written by a raw peer. */
    function echoRequest(payload: Uint8Array): Uint8Array {
      return encodeMessage({ onwardRoute: [local('echo')], returnRoute: [local('raw')], payload });
    }

    /** The payloads of the replies a raw peer received. */
    function replies(peer: RawPeer): string[] {
      return fixture.wire.readFrames(peer.received()).map((body) => text(decodeMessage(body).payload));
    }

    it('keeps the order of thousands of messages of mixed sizes, both ways', async () => {
      const a = await peer({}, false);
      const b = await peer();
      const atB = new Collector();
      const atA = new Collector();
      await b.node.startWorker('sink', atB, { incoming: allowAll });
      await a.node.startWorker('replies', atA, { incoming: allowAll });
      await a.transport.connect(b.address);
      const total = 3000;
      const batch = 500;
      for (let start = 0; start < total; start += batch) {
        for (let i = start; i < start + batch; i++) {
          const payload = numbered(i, (i * 97) % 5000);
          a.node.send([fixture.route(b.address), local('sink')], payload);
          a.node.route({ onwardRoute: [fixture.route(b.address), local('echo')], returnRoute: [local('replies')], payload });
        }
        await expect.poll(() => atA.messages.length, { timeout: 10_000 }).toBe(start + batch);
      }
      await expect.poll(() => atB.messages.length, { timeout: 10_000 }).toBe(total);
      expect(atB.messages.map(indexOf)).toEqual([...Array(total).keys()]);
      expect(atA.messages.map(indexOf)).toEqual([...Array(total).keys()]);
      expect(atB.messages.map((m) => m.payload.length)).toEqual([...Array(total).keys()].map((i) => Math.max(4, (i * 97) % 5000)));
      expect(a.node.stats.dropped).toBe(0);
    });

    it('takes a frame of exactly maxFrameSize and closes, before any body arrives, a connection that announces more; others keep working', async () => {
      const maxFrameSize = 1024;
      const a = await peer({ maxFrameSize }, false);
      const b = await peer({ maxFrameSize });
      expect(await echo(a, b, 'before')).toBe('before');
      const bystander = await raw(b.address);
      bystander.write(fixture.wire.hello);

      const overhead = echoRequest(new Uint8Array(1)).length - 1;
      const exact = await raw(b.address);
      exact.write(fixture.wire.hello);
      exact.write(fixture.wire.frame(echoRequest(new Uint8Array(maxFrameSize - overhead).fill(0x61))));
      await expect.poll(() => replies(exact).length, { timeout: 5_000 }).toBe(1);

      for (const length of [maxFrameSize + 1, 0xffffffff]) {
        const offender = await raw(b.address);
        offender.write(fixture.wire.hello);
        offender.write(fixture.wire.frameHeader(length));
        await offender.closed;
      }
      bystander.write(fixture.wire.frame(echoRequest(bytes('bystander'))));
      await expect.poll(() => replies(bystander), { timeout: 5_000 }).toEqual(['bystander']);
      expect(await echo(a, b, 'after')).toBe('after');
    });

    it('does not send a message larger than maxFrameSize, and the connection stays up', async () => {
      const a = await peer({ maxFrameSize: 1024 }, false);
      const b = await peer({ maxFrameSize: 64 * 1024 });
      const sink = new Collector();
      await b.node.startWorker('sink', sink, { incoming: allowAll });
      expect(await echo(a, b, 'open')).toBe('open');
      const dropped = a.node.stats.dropped;
      a.node.send([fixture.route(b.address), local('sink')], new Uint8Array(2000));
      a.node.send([fixture.route(b.address), local('sink')], bytes('small'));
      await expect.poll(() => sink.messages.length, { timeout: 5_000 }).toBe(1);
      expect(text(sink.messages[0]!.payload)).toBe('small');
      expect(a.node.stats.dropped).toBe(dropped + 1);
      expect(a.transport.connections()).toHaveLength(1);
    });

    it('bounds what a reader that stops reading makes the sender buffer, closes its connection, and dials again', async () => {
      const server = await fixture.wire.stalledServer();
      cleanups.push(() => server.close());
      const maxBufferedBytes = 256 * 1024;
      const a = await peer({ writeHighWaterMark: 64 * 1024, maxBufferedBytes }, false);
      await a.transport.connect(server.address);
      await expect.poll(() => server.accepted(), { timeout: 5_000 }).toBe(1);
      const size = 16 * 1024;
      const count = 2000;
      let peak = 0;
      for (let i = 0; i < count; i++) {
        a.node.send([fixture.route(server.address), local('x')], numbered(i, size));
        peak = Math.max(peak, a.transport.connections()[0]?.bufferedBytes ?? 0);
      }
      // 32 MB offered; at most maxBufferedBytes plus the one frame that crossed it is held,
      // then the connection is closed (a peer that does not read is not served by silently
      // dropping frames) and what was offered after is dropped and counted.
      expect(peak).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(maxBufferedBytes + size + 1024);
      expect(a.node.stats.dropped).toBeGreaterThan(count / 2);
      await expect.poll(() => a.transport.connections().length, { timeout: 5_000 }).toBe(0);
      server.resume();
      a.node.send([fixture.route(server.address), local('x')], numbered(0, size));
      await expect.poll(() => server.accepted(), { timeout: 5_000 }).toBe(2);
      await expect.poll(() => a.transport.connections().length, { timeout: 5_000 }).toBe(1);
    });

    it('tells both sides of a close, fails a pending request at once, and dials again on the next send', async () => {
      const a = await peer({}, false);
      const b = await peer();
      await b.node.startWorker('silent', { handleMessage: () => undefined }, { incoming: allowAll });
      await a.transport.connect(b.address);
      await expect.poll(() => b.transport.connections().length, { timeout: 5_000 }).toBe(1);
      const [atA] = a.transport.connections();
      const [atB] = b.transport.connections();
      expect(atA!.direction).toBe('outgoing');
      expect(atB!.direction).toBe('incoming');
      const signal = a.transport.closedSignal(atA!.workerAddress)!;
      expect(signal.aborted).toBe(false);
      expect(a.transport.closedSignal('no-such-connection')).toBeUndefined();
      const closedAtA = new Promise<string>((resolve) => a.transport.onClosed((info) => resolve(info.workerAddress)));
      const closedAtB = new Promise<string>((resolve) => b.transport.onClosed((info) => resolve(info.workerAddress)));

      const started = Date.now();
      const pending = a.node.request([fixture.route(b.address), local('silent')], bytes('anyone?'), { timeoutMs: 60_000, signal });
      await b.node.stopWorker(atB!.workerAddress);
      await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await closedAtA).toBe(atA!.workerAddress);
      expect(await closedAtB).toBe(atB!.workerAddress);
      expect(signal.aborted).toBe(true);
      await expect.poll(() => a.transport.connections(), { timeout: 5_000 }).toEqual([]);
      expect(b.transport.connections()).toEqual([]);
      expect(a.transport.closedSignal(atA!.workerAddress)).toBeUndefined();

      expect(await echo(a, b, 'again')).toBe('again');
      const [again] = a.transport.connections();
      expect(again!.workerAddress).not.toBe(atA!.workerAddress);
      const closedAgainAtB = new Promise<string>((resolve) => b.transport.onClosed((info) => resolve(info.direction)));
      await a.transport.stop();
      expect(await closedAgainAtB).toBe('incoming');
      expect(a.transport.connections()).toEqual([]);
    });

    it('survives a wrong hello, garbage frames, truncated frames and random bytes; other connections keep working', async () => {
      const a = await peer({}, false);
      const b = await peer({ maxFrameSize: 4096 });
      expect(await echo(a, b, 'before')).toBe('before');

      const wrongHello = await raw(b.address);
      wrongHello.write(fixture.wire.badHello);
      wrongHello.write(fixture.wire.frame(echoRequest(bytes('x'))));
      await wrongHello.closed;
      expect(replies(wrongHello)).toEqual([]);

      const garbage = await raw(b.address);
      garbage.write(fixture.wire.hello);
      const malformed = b.node.stats.malformed;
      garbage.write(fixture.wire.frame(bytes('garbage')));
      garbage.write(fixture.wire.frame(Uint8Array.of(1, 1, 0)));
      garbage.write(fixture.wire.frame(echoRequest(bytes('still here'))));
      await expect.poll(() => replies(garbage), { timeout: 5_000 }).toEqual(['still here']);
      expect(b.node.stats.malformed).toBe(malformed + 2);

      const truncated = await raw(b.address);
      truncated.write(fixture.wire.hello);
      const body = echoRequest(bytes('never whole'));
      truncated.write(fixture.wire.frame(body).subarray(0, fixture.wire.frame(body).length - 3));
      await truncated.destroy();

      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.uint8Array({ minLength: 1, maxLength: 300 }), async (hello, junk) => {
          const peer = await fixture.wire.connect(b.address);
          if (hello) peer.write(fixture.wire.hello);
          peer.write(junk);
          await new Promise((resolve) => setTimeout(resolve, 1));
          await peer.destroy();
        }),
        { numRuns: 40 },
      );
      expect(await echo(a, b, 'after')).toBe('after');
      await garbage.destroy();
      await expect.poll(() => b.transport.connections().length, { timeout: 5_000 }).toBe(1);
    });

    it('serves hundreds of connections at once, each getting its own replies', async () => {
      // All from one loopback address: raise the per-source cap (default 64) for this test.
      const b = await peer({ maxConnectionsPerSource: 1000 });
      const count = 300;
      const peers = await Promise.all(Array.from({ length: count }, () => raw(b.address)));
      for (const [i, p] of peers.entries()) {
        p.write(fixture.wire.hello);
        p.write(fixture.wire.frame(echoRequest(bytes(`peer ${i}`))));
      }
      await expect.poll(() => peers.filter((p, i) => replies(p)[0] === `peer ${i}`).length, { timeout: 20_000 }).toBe(count);
      expect(b.transport.connections()).toHaveLength(count);
      await Promise.all(peers.map((p) => p.destroy()));
      await expect.poll(() => b.transport.connections().length, { timeout: 10_000 }).toBe(0);

      const a = await peer({}, false);
      const listeners = await Promise.all(Array.from({ length: 20 }, () => peer()));
      const echoes = await Promise.all(listeners.map((l, i) => echo(a, l, `listener ${i}`)));
      expect(echoes).toEqual(listeners.map((_l, i) => `listener ${i}`));
      expect(a.transport.connections()).toHaveLength(20);
    });
  });
}
