import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { nowSeconds } from '../identity/seconds.js';
import { allowSecureChannelOrLocal } from '../node/access-control.js';
import type { Node } from '../node/node.js';
import { local, tcp } from '../routing/address.js';
import type { Message, MessageOrigin } from '../routing/message.js';
import { testActor, testAuthority, type TestActor, type TestAuthority } from './testing/channel-fixtures.js';
import { createSecureChannel } from './create-secure-channel.js';
import { SecureChannelListener } from './secure-channel-listener.js';
import { SecureChannelRegistry } from './secure-channel-registry.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const HOUR = 3600;
/** A clock two hours ahead: a credential issued now for one minute is long expired there. */
const later = (): number => nowSeconds() + 2 * HOUR;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

let authority: TestAuthority;
beforeAll(async () => {
  authority = await testAuthority();
});

async function actor(name: string): Promise<TestActor> {
  const a = await testActor(name, undefined, {}, [authority]);
  cleanups.push(() => a.node.stop());
  return a;
}

/** A worker at `whoami` that replies with the origin it saw, as JSON. */
async function whoami(node: Node): Promise<void> {
  await node.startWorker('whoami', {
    handleMessage: (ctx, message: Message) => ctx.send(message.returnRoute, bytes(JSON.stringify(message.origin ?? null))),
  }, { incoming: allowSecureChannelOrLocal });
}

/** The origin `b` stamps on a message from `a` through `channelAddress`. */
async function seenBy(a: TestActor, channelAddress: string): Promise<MessageOrigin> {
  const reply = await a.node.request([local(channelAddress), local('whoami')], bytes('who'), { timeoutMs: 3_000 });
  return JSON.parse(new TextDecoder().decode(reply.payload)) as MessageOrigin;
}

/**
 * Opens a channel a -> b where b's listener accepts any authenticated peer (so a peer
 * without valid attributes still gets in) and both sides use `clock`.
 */
async function open(a: TestActor, b: TestActor, clock?: () => number): Promise<{ address: string; peerOfA: () => MessageOrigin['peer'] }> {
  const extra = clock ? { clock } : {};
  await SecureChannelListener.start(b.node, b.options({ authorize: () => true, ...extra }));
  await whoami(b.node);
  const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options(extra));
  return { address: channel.address, peerOfA: () => channel.peer };
}

describe('secure channel with an unusable credential', () => {
  it('control: a valid credential gives the peer its attributes on both sides', async () => {
    const a = await actor('a');
    const b = await actor('b');
    a.credential = await authority.issue(a.identity.identifier, { role: 'a' }, 60);
    b.credential = await authority.issue(b.identity.identifier, { role: 'b' }, 60);
    const channel = await open(a, b);
    expect((await seenBy(a, channel.address)).peer).toMatchObject({ identifier: a.identity.identifier, attributes: { role: 'a' }, authority: authority.identity.identifier });
    expect(channel.peerOfA()).toMatchObject({ identifier: b.identity.identifier, attributes: { role: 'b' } });
  });

  it('an expired credential yields no attributes, and the peer is still identified, on both sides', async () => {
    const a = await actor('a');
    const b = await actor('b');
    a.credential = await authority.issue(a.identity.identifier, { role: 'a' }, 60);
    b.credential = await authority.issue(b.identity.identifier, { role: 'b' }, 60);
    const channel = await open(a, b, later);

    const origin = await seenBy(a, channel.address);
    expect(origin.via).toBe('channel');
    expect(origin.peer).toMatchObject({ identifier: a.identity.identifier, attributes: {} });
    expect(origin.peer?.authority).toBeUndefined();
    expect(b.attributeStore.get(a.identity.identifier)).toBeUndefined();
    expect(SecureChannelRegistry.of(b.node).list()).toEqual([expect.objectContaining({ peer: a.identity.identifier })]);

    const peer = channel.peerOfA();
    expect(peer).toMatchObject({ identifier: b.identity.identifier, attributes: {} });
    expect(peer?.authority).toBeUndefined();
    expect(a.attributeStore.get(b.identity.identifier)).toBeUndefined();
  });

  it('a credential for another subject yields no attributes (to anyone), and the peer is still identified, on both sides', async () => {
    const a = await actor('a');
    const b = await actor('b');
    const other = await actor('other');
    a.credential = await authority.issue(other.identity.identifier, { role: 'admin' });
    b.credential = await authority.issue(other.identity.identifier, { role: 'admin' });
    const channel = await open(a, b);

    const origin = await seenBy(a, channel.address);
    expect(origin.peer).toMatchObject({ identifier: a.identity.identifier, attributes: {} });
    expect(origin.peer?.authority).toBeUndefined();
    expect(b.attributeStore.get(a.identity.identifier)).toBeUndefined();
    expect(b.attributeStore.get(other.identity.identifier)).toBeUndefined();

    expect(channel.peerOfA()).toMatchObject({ identifier: b.identity.identifier, attributes: {} });
    expect(a.attributeStore.get(other.identity.identifier)).toBeUndefined();
  });

  it('a pushed expired or wrongly-subjected credential adds no attributes; a pushed valid one does', async () => {
    const a = await actor('a');
    const b = await actor('b');
    a.credential = await authority.issue(a.identity.identifier, { role: 'stale' }, 60);
    const channel = await open(a, b, later);
    const channelOfA = SecureChannelRegistry.of(a.node).get(channel.address)!;
    expect((await seenBy(a, channel.address)).peer).toMatchObject({ identifier: a.identity.identifier, attributes: {} });

    const other = await actor('other');
    a.credential = await authority.issue(other.identity.identifier, { role: 'admin' }, 3 * HOUR);
    expect(channelOfA.presentCredential()).toBe(true);
    expect((await seenBy(a, channel.address)).peer).toMatchObject({ identifier: a.identity.identifier, attributes: {} });

    a.credential = await authority.issue(a.identity.identifier, { role: 'admin' }, 60);
    expect(channelOfA.presentCredential()).toBe(true);
    expect((await seenBy(a, channel.address)).peer).toMatchObject({ identifier: a.identity.identifier, attributes: {} });

    a.credential = await authority.issue(a.identity.identifier, { role: 'member' }, 3 * HOUR);
    expect(channelOfA.presentCredential()).toBe(true);
    expect((await seenBy(a, channel.address)).peer).toMatchObject({ identifier: a.identity.identifier, attributes: { role: 'member' } });
  });
});
