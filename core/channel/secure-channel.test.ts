import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowAll, allowSecureChannelOrLocal } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import { local, tcp } from '../routing/address.js';
import type { Message, MessageOrigin, Route } from '../routing/message.js';
import { testActor, testAuthority, type TestActor, type TestAuthority } from './testing/channel-fixtures.js';
import { createSecureChannel } from './create-secure-channel.js';
import type { SecureChannel } from './secure-channel.js';
import { SecureChannelListener } from './secure-channel-listener.js';
import { allowIdentities } from './secure-channel-options.js';
import { SecureChannelRegistry } from './secure-channel-registry.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let authority: TestAuthority;
let rogue: TestAuthority;
beforeAll(async () => {
  authority = await testAuthority();
  rogue = await testAuthority();
});

async function actor(name: string, attributes: Record<string, string> = { role: name }, issuer: TestAuthority | undefined = authority, forwardTo: readonly string[] = []): Promise<TestActor> {
  const a = await testActor(name, issuer, attributes, [authority], { allowForwardingTo: forwardTo.map((d) => tcp(d)) });
  cleanups.push(() => a.node.stop());
  return a;
}

/** A worker at `whoami` that replies with the origin it saw, as JSON. */
async function whoami(node: Node): Promise<void> {
  await node.startWorker('whoami', {
    handleMessage: (ctx, message: Message) => ctx.send(message.returnRoute, bytes(JSON.stringify(message.origin ?? null))),
  }, { incoming: allowSecureChannelOrLocal });
}

async function ask(node: Node, route: Route, payload = 'ping', timeoutMs = 3_000): Promise<string> {
  return text((await node.request(route, bytes(payload), { timeoutMs })).payload);
}

const channelWorkers = (node: Node): string[] => node.workerAddresses().filter((a) => a.startsWith('sc-') || a.startsWith('scd-'));

async function until(check: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('secure channel over routing', () => {
  it('echoes through a channel and stamps the authenticated peer with its attributes', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options({ authorize: allowIdentities([a.identity.identifier]) }));
    await whoami(b.node);
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    expect(await ask(a.node, [local(channel.address), local('echo')], 'hello')).toBe('hello');

    const origin = JSON.parse(await ask(a.node, [local(channel.address), local('whoami')])) as MessageOrigin;
    const onB = SecureChannelRegistry.of(b.node).list();
    expect(onB).toHaveLength(1);
    expect(origin).toEqual({
      via: 'channel',
      peer: { identifier: a.identity.identifier, attributes: { role: 'a' }, authority: authority.identity.identifier, channel: onB[0]!.address },
    });
    expect(onB[0]).toMatchObject({ peer: a.identity.identifier, role: 'responder' });
    expect(SecureChannelRegistry.of(a.node).list()).toEqual([expect.objectContaining({ address: channel.address, peer: b.identity.identifier, role: 'initiator' })]);
    expect(channel.peer).toMatchObject({ identifier: b.identity.identifier, attributes: { role: 'b' } });
  });

  it('runs a channel inside a channel: A -> C through A -> B, and B cannot read it', async () => {
    const a = await actor('a');
    const c = await actor('c');
    // B forwards to C's TCP address only because it is configured to (the routing boundary).
    const b = await actor('b', undefined, authority, [c.address]);
    await SecureChannelListener.start(b.node, b.options());
    await SecureChannelListener.start(c.node, c.options());
    await whoami(c.node);
    const outer = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const inner = await createSecureChannel(a.node, [local(outer.address), tcp(c.address), local('api')], a.options());
    expect(inner.peerIdentity.identifier).toBe(c.identity.identifier);

    const seenByB: Uint8Array[] = [];
    const route = b.node.route.bind(b.node);
    b.node.route = (message: Message): void => {
      seenByB.push(Buffer.from(message.payload));
      route(message);
    };
    const secret = 'the-secret-only-c-may-read';
    expect(await ask(a.node, [local(inner.address), local('echo')], secret)).toBe(secret);
    const origin = JSON.parse(await ask(a.node, [local(inner.address), local('whoami')])) as MessageOrigin;
    expect(origin.peer?.identifier).toBe(a.identity.identifier);
    expect(seenByB.length).toBeGreaterThan(0);
    expect(seenByB.some((p) => Buffer.from(p).includes(secret))).toBe(false);

    const closed = new Promise<string>((resolve) => inner.onClosed(resolve));
    await outer.close();
    expect(await closed).toMatch(/channel it runs through closed/);
    expect(channelWorkers(a.node)).toEqual([]);
  });

  it('lets the listener authorize one identity and refuse another, telling it nothing', async () => {
    const a = await actor('a');
    const d = await actor('d');
    const b = await actor('b');
    const listener = await SecureChannelListener.start(b.node, b.options({ authorize: allowIdentities([a.identity.identifier]) }));
    await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const refused = createSecureChannel(d.node, [tcp(b.address), local('api')], d.options());
    await expect(refused).rejects.toMatchObject({ name: 'HandshakeError', stage: 'refused-by-peer', message: expect.not.stringMatching(/authoriz/) });
    expect(listener.stats).toMatchObject({ accepted: 1, refused: 1 });
    expect(SecureChannelRegistry.of(b.node).list().map((c) => c.peer)).toEqual([a.identity.identifier]);
    await until(() => channelWorkers(d.node).length === 0 && listener.pendingHandshakes === 0);
    expect(channelWorkers(b.node)).toHaveLength(2);
  });

  it('gives no attributes for a credential from an untrusted issuer (and the default policy refuses it)', async () => {
    const a = await actor('a', { role: 'admin' }, rogue);
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options({ authorize: () => true }));
    await SecureChannelListener.start(b.node, b.options({ address: 'strict' }));
    await whoami(b.node);
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const origin = JSON.parse(await ask(a.node, [local(channel.address), local('whoami')])) as MessageOrigin;
    expect(origin.peer).toMatchObject({ identifier: a.identity.identifier, attributes: {} });
    expect(origin.peer?.authority).toBeUndefined();
    await expect(createSecureChannel(a.node, [tcp(b.address), local('strict')], a.options())).rejects.toMatchObject({ stage: 'refused-by-peer' });
  });

  it('refuses a peer whose attested key is not its Noise static key, on either side', async () => {
    const a = await actor('a');
    const b = await actor('b');
    const other = await a.vault.generateX25519Key();
    const mismatched = { ...a.key, handle: other };
    const listener = await SecureChannelListener.start(b.node, b.options());
    await expect(createSecureChannel(a.node, [tcp(b.address), local('api')], a.options({ secureChannelKey: mismatched })))
      .rejects.toMatchObject({ stage: 'refused-by-peer' });
    await until(() => listener.stats.failed === 1);

    const c = await actor('c');
    const otherB = await b.vault.generateX25519Key();
    await SecureChannelListener.start(b.node, b.options({ address: 'bad', secureChannelKey: { ...b.key, handle: otherB } }));
    await expect(createSecureChannel(c.node, [tcp(b.address), local('bad')], c.options())).rejects.toMatchObject({ stage: 'key-mismatch' });
    expect(SecureChannelRegistry.of(b.node).size).toBe(0);
  });

  it('drops and counts tampered, truncated and replayed frames, and keeps working', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options());
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const remote = SecureChannelRegistry.of(b.node).list()[0]!;
    const captured: Uint8Array[] = [];
    const route = b.node.route.bind(b.node);
    b.node.route = (message: Message): void => {
      if (message.onwardRoute[0]?.value === remote.decryptorAddress) captured.push(Buffer.from(message.payload));
      route(message);
    };
    expect(await ask(a.node, [local(channel.address), local('echo')], 'one')).toBe('one');
    const frame = captured[0]!;
    const inject = (payload: Uint8Array): void => b.node.route({ onwardRoute: [local(remote.decryptorAddress)], returnRoute: [], payload });
    inject(frame);
    const flipped = Buffer.from(frame);
    flipped[flipped.length - 3]! ^= 0x40;
    inject(flipped);
    inject(frame.subarray(0, 20));
    inject(new Uint8Array(0));
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.from(frame);
      junk[i % junk.length]! ^= 1 + (i % 255);
      inject(junk);
    }
    const stats = SecureChannelRegistry.of(b.node).get(remote.address)!.stats;
    await until(() => stats.replayed + stats.forged === 204);
    expect(stats.replayed).toBeGreaterThanOrEqual(1);
    expect(stats.forged).toBeGreaterThanOrEqual(3);
    expect(await ask(a.node, [local(channel.address), local('echo')], 'two')).toBe('two');
    expect(SecureChannelRegistry.of(b.node).size).toBe(1);
  });

  it('updates the peer attributes when a refreshed credential is pushed', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options());
    await whoami(b.node);
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const attributes = async (): Promise<unknown> =>
      (JSON.parse(await ask(a.node, [local(channel.address), local('whoami')])) as MessageOrigin).peer?.attributes;
    expect(await attributes()).toEqual({ role: 'a' });
    a.credential = await authority.issue(a.identity.identifier, { role: 'admin' });
    expect(SecureChannelRegistry.of(a.node).presentCredential()).toBe(1);
    expect(await attributes()).toEqual({ role: 'admin' });
    a.credential = await rogue.issue(a.identity.identifier, { role: 'root' });
    expect(channel.presentCredential()).toBe(true);
    expect(await attributes()).toEqual({ role: 'admin' });
  });

  it('close tells the peer, removes workers on both sides and drops the keys', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options());
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const remote = SecureChannelRegistry.of(b.node).get(SecureChannelRegistry.of(b.node).list()[0]!.address)!;
    const remoteClosed = new Promise<string>((resolve) => remote.onClosed(resolve));
    expect(channelWorkers(a.node)).toHaveLength(2);
    await SecureChannelRegistry.of(a.node).close(channel.address);
    expect(await remoteClosed).toBe('closed by peer');
    for (const [node, c] of [[a.node, channel], [b.node, remote]] as const) {
      expect(c.isClosed).toBe(true);
      expect(c.keysErased).toBe(true);
      expect(channelWorkers(node)).toEqual([]);
      expect(SecureChannelRegistry.of(node).size).toBe(0);
    }
    await expect(ask(a.node, [local(channel.address), local('echo')], 'x', 200)).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('cleans up after handshake timeouts on both sides and bounds pending handshakes', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await b.node.startWorker('blackhole', { handleMessage: () => undefined }, { incoming: allowAll });
    await expect(createSecureChannel(a.node, [tcp(b.address), local('blackhole')], a.options({ handshakeTimeoutMs: 150 })))
      .rejects.toMatchObject({ stage: 'timeout', kind: 'timeout' });
    expect(channelWorkers(a.node)).toEqual([]);

    const listener = await SecureChannelListener.start(b.node, b.options({ handshakeTimeoutMs: 150, maxPendingHandshakes: 2 }));
    // Initiators whose message 3 never comes: a node without a route back to B's answers.
    const silent = await actor('silent');
    await silent.node.startWorker('sink', { handleMessage: () => undefined }, { incoming: allowAll });
    const { XxInitiator } = await import('./noise/xx-initiator.js');
    const { X25519KeyPair } = await import('./noise/x25519.js');
    for (let i = 0; i < 5; i++) {
      const { send } = XxInitiator.start({ staticKey: X25519KeyPair.generate() }).writeMessage1();
      silent.node.send([tcp(b.address), local('api')], Uint8Array.of(1, ...send), { returnRoute: [local('sink')] });
    }
    await until(() => listener.stats.dropped === 3 && listener.pendingHandshakes === 2);
    await until(() => listener.stats.timedOut === 2 && listener.pendingHandshakes === 0);
    expect(channelWorkers(b.node)).toEqual([]);
  });

  it('closes when its TCP connection closes, or when keep-alive probes go unanswered', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options());
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    const closed = new Promise<string>((resolve) => channel.onClosed(resolve));
    const connection = a.transport.connections()[0]!;
    await a.node.stopWorker(connection.workerAddress);
    expect(await closed).toBe('its tcp connection closed');

    const probing = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options({ keepAliveMs: 40 }));
    await sleep(120);
    expect(probing.isClosed).toBe(false);
    const deadPeer = new Promise<string>((resolve) => probing.onClosed(resolve));
    b.node.route = (): void => undefined;
    expect(await deadPeer).toBe('keep-alive timeout');
  });

  it('probes only when idle: a channel that keeps receiving sends no keep-alive pings', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options());
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options({ keepAliveMs: 400 }));
    const idleBefore = channel.stats.framesOut;
    await sleep(1_300);
    expect(channel.stats.framesOut - idleBefore).toBeGreaterThanOrEqual(2);
    // Busy: echoes back to back keep frames arriving; only the echo requests go out.
    const busyBefore = channel.stats.framesOut;
    let requests = 0;
    const end = Date.now() + 1_300;
    while (Date.now() < end) {
      await a.node.request([local(channel.address), local('echo')], bytes('x'), { timeoutMs: 2_000 });
      requests++;
    }
    expect(channel.stats.framesOut - busyBefore).toBe(requests);
  });
});

describe('a hop saying the route is dead (routeError)', () => {
  const DEAD = 0x42;
  /** A worker at `dead-end` on `node` that answers anything with the one byte DEAD, as a relay with no such name would. */
  async function deadEnd(node: Node): Promise<void> {
    await node.startWorker('dead-end', { handleMessage: (ctx, m: Message) => ctx.send(m.returnRoute, Uint8Array.of(DEAD)) }, { incoming: allowAll });
  }
  const routeError = (m: Message): Error | undefined => (m.payload.length === 1 && m.payload[0] === DEAD ? new Error('no such relay') : undefined);

  it('fails a handshake at once with the hook\'s error; without the hook the reply is ignored until the timeout', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await deadEnd(b.node);
    const t0 = Date.now();
    await expect(createSecureChannel(a.node, [tcp(b.address), local('dead-end')], a.options({ routeError, handshakeTimeoutMs: 5_000 }))).rejects.toThrow('no such relay');
    expect(Date.now() - t0).toBeLessThan(2_000);
    await expect(createSecureChannel(a.node, [tcp(b.address), local('dead-end')], a.options({ handshakeTimeoutMs: 300 }))).rejects.toThrow(/timeout/);
    await until(() => channelWorkers(a.node).length === 0);
  });

  it('closes an open channel when such a reply reaches its decryptor; a reply the hook does not recognize is counted as forged', async () => {
    const a = await actor('a');
    const b = await actor('b');
    await SecureChannelListener.start(b.node, b.options());
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options({ routeError }));
    const closed = new Promise<string>((resolve) => channel.onClosed(resolve));
    b.node.send([tcp(a.address), local(channel.decryptorAddress)], Uint8Array.of(7, 7, 7));
    await until(() => channel.stats.forged === 1);
    expect(channel.isClosed).toBe(false);
    b.node.send([tcp(a.address), local(channel.decryptorAddress)], Uint8Array.of(DEAD));
    expect(await closed).toBe('no such relay');
  });
});
