import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { local, tcp } from '../routing/address.js';
import { testActor, testAuthority, type TestActor, type TestAuthority } from './testing/channel-fixtures.js';
import { createSecureChannel } from './create-secure-channel.js';
import { SecureChannelListener } from './secure-channel-listener.js';
import type { SecureChannelKey } from './secure-channel-options.js';

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

/** A key source whose first `stalls` calls never answer (a vault that hangs); later calls give `key`. */
function stallingKey(key: SecureChannelKey, stalls: number): () => Promise<SecureChannelKey> {
  let calls = 0;
  return () => (calls++ < stalls ? new Promise<SecureChannelKey>(() => undefined) : Promise.resolve(key));
}

describe('handshake deadlines', () => {
  it('createSecureChannel settles at its deadline when the local key source never answers, and leaves nothing behind', async () => {
    const [a, b] = await Promise.all([actor('a'), actor('b')]);
    await SecureChannelListener.start(b.node, b.options({ authorize: () => true }));
    const workers = a.node.workerAddresses().length;
    const options = a.options({ secureChannelKey: stallingKey(a.key, 1), handshakeTimeoutMs: 300 });
    await expect(createSecureChannel(a.node, [tcp(b.address), local('api')], options)).rejects.toMatchObject({ stage: 'timeout', message: expect.stringContaining('local-key') });
    expect(a.node.workerAddresses().length).toBe(workers);
    // The next call gets the key: the node is fine.
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], options);
    await channel.close();
  });

  it('an abort while the local key is resolved rejects at once', async () => {
    const [a, b] = await Promise.all([actor('a'), actor('b')]);
    await SecureChannelListener.start(b.node, b.options({ authorize: () => true }));
    const controller = new AbortController();
    const pending = createSecureChannel(a.node, [tcp(b.address), local('api')], a.options({ secureChannelKey: stallingKey(a.key, 1), signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
  });

  it('a listener whose key source hangs once times that handshake out and keeps serving the next ones', async () => {
    const [a, b] = await Promise.all([actor('a'), actor('b')]);
    const listener = await SecureChannelListener.start(b.node, b.options({ authorize: () => true, secureChannelKey: stallingKey(b.key, 1), handshakeTimeoutMs: 300 }));
    const route = [tcp(b.address), local('api')];
    await expect(createSecureChannel(a.node, route, a.options({ handshakeTimeoutMs: 1_000 }))).rejects.toMatchObject({ stage: 'timeout' });
    const channel = await createSecureChannel(a.node, route, a.options({ handshakeTimeoutMs: 5_000 }));
    await channel.close();
    expect(listener.stats).toMatchObject({ accepted: 1, timedOut: 1 });
    expect(listener.pendingHandshakes).toBe(0);
  });
});
