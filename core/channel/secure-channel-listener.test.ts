import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { local, tcp } from '../routing/address.js';
import type { PeerInfo } from '../routing/message.js';
import { testActor, testAuthority, type TestActor, type TestAuthority } from './testing/channel-fixtures.js';
import { createSecureChannel } from './create-secure-channel.js';
import { SecureChannelListener } from './secure-channel-listener.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

let authority: TestAuthority;
beforeAll(async () => {
  authority = await testAuthority();
});

async function actor(name: string): Promise<TestActor> {
  const a = await testActor(name, authority, { role: name }, [authority]);
  cleanups.push(() => a.node.stop());
  return a;
}

describe('SecureChannelListener refusePeer', () => {
  it('refuses the peers it names whatever authorize says, sync or async, and admits the others', async () => {
    const [a, d, e, b] = await Promise.all([actor('a'), actor('d'), actor('e'), actor('b')]);
    const asked: string[] = [];
    const refusePeer = (peer: PeerInfo): boolean | Promise<boolean> => {
      asked.push(peer.identifier);
      if (peer.identifier === d.identity.identifier) return true;
      if (peer.identifier === e.identity.identifier) return Promise.resolve(true);
      return Promise.resolve(false);
    };
    const listener = await SecureChannelListener.start(b.node, b.options({ authorize: () => true, refusePeer }));
    await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    await expect(createSecureChannel(d.node, [tcp(b.address), local('api')], d.options())).rejects.toMatchObject({ stage: 'refused-by-peer' });
    await expect(createSecureChannel(e.node, [tcp(b.address), local('api')], e.options())).rejects.toMatchObject({ stage: 'refused-by-peer' });
    expect(listener.stats).toMatchObject({ accepted: 1, refused: 2 });
    expect(asked.sort()).toEqual([a, d, e].map((x) => x.identity.identifier).sort());
  });

  it('a refusePeer that throws or rejects refuses', async () => {
    const [a, b] = await Promise.all([actor('a'), actor('b')]);
    await SecureChannelListener.start(b.node, b.options({ authorize: () => true, refusePeer: () => { throw new Error('broken'); } }));
    await SecureChannelListener.start(b.node, b.options({ address: 'api2', authorize: () => true, refusePeer: () => Promise.reject(new Error('broken')) }));
    await expect(createSecureChannel(a.node, [tcp(b.address), local('api')], a.options())).rejects.toMatchObject({ stage: 'refused-by-peer' });
    await expect(createSecureChannel(a.node, [tcp(b.address), local('api2')], a.options())).rejects.toMatchObject({ stage: 'refused-by-peer' });
  });
});
