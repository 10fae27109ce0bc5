import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowAll } from '../node/access-control.js';
import { markNestedFrame } from './nested-frames.js';
import type { AccessControl } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { RelayForwarder } from '../relay/relay-forwarder.js';
import { testActor, testAuthority, type TestActor, type TestAuthority } from './testing/channel-fixtures.js';
import { createSecureChannel } from './create-secure-channel.js';
import type { SecureChannel } from './secure-channel.js';
import { SecureChannelListener } from './secure-channel-listener.js';
import { SecureChannelRegistry } from './secure-channel-registry.js';
import { isPassThroughFrame, PASS_THROUGH_PREFIX } from './noise/pass-through-frame.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

let authority: TestAuthority;
beforeAll(async () => {
  authority = await testAuthority();
});

/** The channel on `node` whose peer is `peer` (the first one, or the one that is not `not`). */
function channelOf(node: TestActor, peer: TestActor, not?: string): SecureChannel {
  const registry = SecureChannelRegistry.of(node.node);
  const info = registry.list().find((ch) => ch.peer === peer.identity.identifier && ch.address !== not);
  if (info === undefined) throw new Error('no such channel');
  return registry.get(info.address)!;
}

async function actor(name: string): Promise<TestActor> {
  const a = await testActor(name, authority, { role: name }, [authority]);
  cleanups.push(() => a.node.stop());
  return a;
}

interface RelayPath {
  readonly a: TestActor;
  readonly p: TestActor;
  readonly c: TestActor;
  /** A's channel to the project node P, and P's side of it. */
  readonly aToP: SecureChannel;
  readonly pFromA: SecureChannel;
  /** C's channel to P (C registered the relay over it), and P's side of it. */
  readonly cToP: SecureChannel;
  readonly pFromC: SecureChannel;
  /** The end-to-end channel A -> C through P's relay `forward_to_c`. */
  readonly e2e: SecureChannel;
  /** Payloads P's routing saw, in order. */
  readonly seenByP: Message[];
}

/**
 * The relay path of a project: A and C each hold a channel to P; C's relay `forward_to_c`
 * on P forwards over P's side of C's channel; A runs an end-to-end channel to C through it.
 */
async function relayPath({ passThrough = {}, relayIncoming = allowAll, e2e = true }: {
  passThrough?: { a?: boolean; p?: boolean; c?: boolean }; relayIncoming?: AccessControl; e2e?: boolean;
} = {}): Promise<RelayPath> {
  const [a, p, c] = await Promise.all([actor('a'), actor('p'), actor('c')]);
  const pt = (who: 'a' | 'p' | 'c') => (passThrough[who] === undefined ? {} : { passThrough: passThrough[who] });
  await SecureChannelListener.start(p.node, p.options(pt('p')));
  await SecureChannelListener.start(c.node, c.options(pt('c')));
  const cToP = await createSecureChannel(c.node, [tcp(p.address), local('api')], c.options(pt('c')));
  const pFromC = channelOf(p, c);
  await p.node.startWorker('forward_to_c', new RelayForwarder('c', [local(pFromC.address)]), { incoming: relayIncoming });
  const aToP = await createSecureChannel(a.node, [tcp(p.address), local('api')], a.options(pt('a')));
  const pFromA = channelOf(p, a);
  const seenByP: Message[] = [];
  const route = p.node.route.bind(p.node);
  p.node.route = (message: Message): void => {
    seenByP.push(message);
    route(message);
  };
  const channel = e2e ? await createSecureChannel(a.node, [local(aToP.address), local('forward_to_c'), local('api')], a.options(pt('a'))) : null;
  return { a, p, c, aToP, pFromA, cToP, pFromC, e2e: channel!, seenByP };
}

async function ask(path: RelayPath, payload: string): Promise<string> {
  return text((await path.a.node.request([local(path.e2e.address), local('echo')], bytes(payload), { timeoutMs: 3_000 })).payload);
}

describe('pass-through frames through a relay', () => {
  it('the project node forwards end-to-end frames with only the routing header sealed, in both directions, and never reads them', async () => {
    const path = await relayPath();
    const { aToP, pFromA, cToP, pFromC, e2e, seenByP } = path;
    await until(() => aToP.passThrough && pFromC.passThrough && cToP.passThrough && pFromA.passThrough);
    const sentByA: string[] = [];
    const e2eBuffers = new Set<ArrayBufferLike>();
    let inPlace = 0;
    const routeA = path.a.node.route.bind(path.a.node);
    path.a.node.route = (message: Message): void => {
      if (message.onwardRoute[0]?.value === aToP.address) {
        sentByA.push(Buffer.from(message.payload).toString('hex'));
        if (message.payload.length > 4096) e2eBuffers.add(message.payload.buffer);
      } else if (isPassThroughFrame(message.payload) && e2eBuffers.has(message.payload.buffer)) inPlace++;
      routeA(message);
    };
    const secret = 'only-c-may-read-this-'.repeat(500);
    expect(await ask(path, secret)).toBe(secret);

    // Out from A, in and out at P, in at C: every end-to-end frame, and the reply the other way.
    expect(aToP.stats.passThroughOut).toBeGreaterThanOrEqual(1);
    expect(pFromA.stats.passThroughIn).toBe(aToP.stats.passThroughOut);
    expect(pFromC.stats.passThroughOut).toBeGreaterThanOrEqual(pFromA.stats.passThroughIn);
    expect(cToP.stats.passThroughIn).toBe(pFromC.stats.passThroughOut);
    expect(aToP.stats.passThroughIn).toBeGreaterThanOrEqual(1);
    // P's two channels only carried them: what P routed on towards C is the very frame A's
    // end-to-end channel made (not a copy decrypted and encrypted again), and it does not hold the text.
    const toC = seenByP.filter((m) => m.onwardRoute[0]?.value === pFromC.address).map((m) => Buffer.from(m.payload).toString('hex'));
    expect(sentByA.length).toBeGreaterThanOrEqual(1);
    expect(sentByA.every((frame) => toC.includes(frame))).toBe(true);
    // A's channel to P wrote its header in front of the large end-to-end frame, without copying it.
    expect(inPlace).toBeGreaterThanOrEqual(1);
    for (const m of seenByP) expect(Buffer.from(m.payload).includes(Buffer.from('only-c-may-read'))).toBe(false);
    expect(e2e.stats.forged + e2e.stats.malformed).toBe(0);
  });

  it('falls back to full sealing when either side of a hop does not offer pass-through frames', async () => {
    for (const passThrough of [{ p: false }, { a: false, c: false }]) {
      const path = await relayPath({ passThrough });
      expect(await ask(path, 'hello')).toBe('hello');
      await sleep(50);
      for (const ch of [path.aToP, path.pFromA, path.cToP, path.pFromC]) {
        expect(ch.passThrough).toBe(false);
        expect(ch.stats.passThroughOut + ch.stats.passThroughIn).toBe(0);
        expect(ch.stats.forged).toBe(0);
      }
      for (const c of cleanups.splice(0).reverse()) await c();
    }
  });

  it('mixes: a hop without pass-through in the middle of the path still carries the end-to-end channel', async () => {
    const path = await relayPath({ passThrough: { c: false } });
    expect(await ask(path, 'mixed')).toBe('mixed');
    expect(path.aToP.stats.passThroughOut).toBeGreaterThanOrEqual(1);
    expect(path.pFromC.stats.passThroughOut).toBe(0);
  });

  it('a side that did not offer pass-through drops such frames as forged, and keeps working', async () => {
    const path = await relayPath({ passThrough: { c: false } });
    // A's hop uses pass-through; capture one such frame at P and send it to C's channel decryptor instead.
    expect(await ask(path, 'one')).toBe('one');
    const frame = path.seenByP.find((m) => m.onwardRoute[0]?.value === path.pFromA.decryptorAddress && isPassThroughFrame(m.payload))!.payload;
    const forgedBefore = path.cToP.stats.forged;
    path.c.node.route({ onwardRoute: [local(path.cToP.decryptorAddress)], returnRoute: [], payload: Buffer.from(frame) });
    await until(() => path.cToP.stats.forged === forgedBefore + 1);
    expect(await ask(path, 'two')).toBe('two');
  });

  it('a replayed, tampered or body-swapped pass-through frame is dropped: at the hop, or end to end', async () => {
    const path = await relayPath();
    const { p, pFromA, e2e } = path;
    await until(() => path.aToP.passThrough);
    const big = 'x'.repeat(3000);
    expect(await ask(path, big)).toBe(big);
    const inject = (payload: Uint8Array): void => p.node.route({ onwardRoute: [local(pFromA.decryptorAddress)], returnRoute: [], payload });
    const { replayed, forged, passThroughIn } = { ...pFromA.stats };

    // A frame held on its way to P: forged copies first (its nonce is still fresh), then the original, then a replay.
    const held = await captureNext(path, big);
    const f = held.frame;
    const innerLength = f.length - PASS_THROUGH_PREFIX - f.readUInt16BE(8) - 16;
    const innerNonce = Buffer.from(f);
    innerNonce[f.length - innerLength + 7]! ^= 1;
    inject(innerNonce); // the inner nonce, bound as associated data
    const innerTag = Buffer.from(f);
    innerTag[f.length - 1]! ^= 1;
    inject(innerTag); // the inner tag, bound as associated data
    const header = Buffer.from(f);
    header[PASS_THROUGH_PREFIX]! ^= 1;
    inject(header); // the sealed header
    inject(Buffer.concat([f, Buffer.of(0)])); // the inner length
    await until(() => pFromA.stats.forged === forged + 4);
    expect(pFromA.stats.passThroughIn).toBe(passThroughIn);
    held.release();
    await until(() => pFromA.stats.passThroughIn === passThroughIn + 1);
    inject(Buffer.from(f)); // replay
    await until(() => pFromA.stats.replayed === replayed + 1);
    expect(pFromA.stats.passThroughIn).toBe(passThroughIn + 1);

    // Two frames with their inner bodies swapped, under fresh outer nonces: the hop cannot
    // tell (it never reads the body), C's end of the end-to-end channel drops both.
    const e2eForgedOnC = channelOf(path.c, path.a);
    const before = e2eForgedOnC.stats.forged;
    const s1 = await captureNext(path, big);
    const s2 = await captureNext(path, big);
    const bodyAt = (f: Buffer): Buffer => f.subarray(PASS_THROUGH_PREFIX + f.readUInt16BE(8) + 16 + 8, f.length - 16);
    // Not yet delivered (held back by the capture): swap, then let them go.
    const b1 = Buffer.from(bodyAt(s1.frame));
    bodyAt(s2.frame).copy(bodyAt(s1.frame));
    b1.copy(bodyAt(s2.frame));
    s1.release();
    s2.release();
    await until(() => e2eForgedOnC.stats.forged === before + 2);
    expect(e2e.stats.forged).toBe(0);
    expect(await ask(path, 'still works')).toBe('still works');
  });

  it('pass-through messages pass the project node\'s access control like any other', async () => {
    let relayAllows = false;
    const decisions: Array<{ peer: string | undefined; allowed: boolean }> = [];
    const relayIncoming: AccessControl = {
      isAuthorized: ({ message }) => {
        decisions.push({ peer: message.origin?.peer?.identifier, allowed: relayAllows });
        return relayAllows;
      },
    };
    const path = await relayPath({ relayIncoming, e2e: false });
    await until(() => path.aToP.passThrough);
    // A member that frames anything it likes as pass-through (as modified code could): the
    // body is not an end-to-end frame at all, and C's echo would answer it.
    const forged = (): Uint8Array => {
      const body = bytes('not an end-to-end frame, just bytes for C\'s echo');
      markNestedFrame(body);
      return body;
    };
    const viaRelay = [local(path.aToP.address), local('forward_to_c'), local('echo')];
    await expect(path.a.node.request(viaRelay, forged(), { timeoutMs: 500 })).rejects.toThrow();
    expect(path.aToP.stats.passThroughOut).toBe(1);
    expect(path.pFromA.stats.passThroughIn).toBe(1);
    expect(decisions).toEqual([{ peer: path.a.identity.identifier, allowed: false }]);
    expect(path.pFromC.stats.passThroughOut).toBe(0);

    // The same message once the relay's access control admits A: it reaches C (so the refusal above was the check).
    relayAllows = true;
    const reply = await path.a.node.request(viaRelay, forged(), { timeoutMs: 3_000 });
    expect(text(reply.payload)).toContain('not an end-to-end frame');
    expect(path.pFromC.stats.passThroughOut).toBe(1);
  });
});

/**
 * Sends `payload` through the end-to-end channel and holds the pass-through frame that
 * arrives at P from A until `release()`: the test may change it in between.
 */
async function captureNext(path: RelayPath, payload: string): Promise<{ frame: Buffer; release(): void }> {
  const { p, pFromA } = path;
  const route = p.node.route;
  let held: Message | undefined;
  p.node.route = (message: Message): void => {
    if (held === undefined && message.onwardRoute[0]?.value === pFromA.decryptorAddress && isPassThroughFrame(message.payload)) {
      held = { ...message, payload: Buffer.from(message.payload) };
      p.node.route = route;
      return;
    }
    route(message);
  };
  path.a.node.send([local(path.e2e.address), local('echo')], bytes(payload));
  await until(() => held !== undefined);
  const message = held!;
  return { frame: message.payload as Buffer, release: () => route(message) };
}
