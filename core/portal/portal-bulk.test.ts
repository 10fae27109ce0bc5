import { afterEach, describe, expect, it } from 'vitest';
import { createSecureChannel } from '../channel/create-secure-channel.js';
import { testActor, testAuthority } from '../channel/testing/channel-fixtures.js';
import { SecureChannelListener } from '../channel/secure-channel-listener.js';
import { allowAll } from '../node/access-control.js';
import { local, tcp } from '../routing/address.js';
import type { Route } from '../routing/message.js';
import { RelayService } from '../relay/relay-service.js';
import { RelayClient } from '../relay/relay-client.js';
import { TcpInlet } from './tcp-inlet.js';
import { TcpOutlet } from './tcp-outlet.js';
import { download, startDownloadServer } from './testing/download-server.js';
import type { DownloadResult, DownloadServer } from './testing/download-server.js';

const MiB = 1024 * 1024;
const SESSIONS = Number(process.env.PORTAL_BULK_SESSIONS ?? 64);
const SIZE = Number(process.env.PORTAL_BULK_MIB ?? 4) * MiB;

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Inlet on A, outlet on B in front of a download server; A reaches B over one secure channel, directly or through a relay on P. */
async function setup(via: 'direct' | 'relay') {
  const authority = await testAuthority();
  const a = await testActor('a', authority, {}, [authority]);
  const b = await testActor('b', authority, {}, [authority]);
  cleanups.push(() => a.node.stop(), () => b.node.stop());
  const server = await startDownloadServer();
  cleanups.push(() => server.close());
  await SecureChannelListener.start(b.node, b.options());
  const outlet = new TcpOutlet(b.node, { target: server.address, incoming: allowAll });
  await outlet.start();
  cleanups.push(() => outlet.stop());
  let route: Route;
  if (via === 'direct') {
    const channel = await createSecureChannel(a.node, [tcp(b.address), local('api')], a.options());
    route = [local(channel.address), local('outlet')];
  } else {
    const p = await testActor('p', authority, {}, [authority]);
    cleanups.push(() => p.node.stop());
    await SecureChannelListener.start(p.node, p.options());
    const service = new RelayService(p.node, { authorize: () => true });
    await service.start();
    cleanups.push(() => service.stop());
    const bp = await createSecureChannel(b.node, [tcp(p.address), local('api')], b.options());
    const relay = new RelayClient(b.node, { name: 'db', route: [local(bp.address), local('relay')] });
    await relay.start();
    cleanups.push(() => relay.stop());
    await expect.poll(() => relay.status().connected, { timeout: 10_000 }).toBe(true);
    const ap = await createSecureChannel(a.node, [tcp(p.address), local('api')], a.options());
    const ab = await createSecureChannel(a.node, [local(ap.address), local('forward_to_db'), local('api')], a.options());
    route = [local(ab.address), local('outlet')];
  }
  const inlet = new TcpInlet(a.node, { listen: '127.0.0.1:0', authorizeOutlet: () => true, outlet: route });
  const { address } = await inlet.start();
  cleanups.push(() => inlet.stop());
  return { a, b, inlet, outlet, server, address };
}

function tally(results: readonly DownloadResult[], server: DownloadServer, size: number) {
  const ok = results.filter((r) => r.outcome === 'end' && r.bytes === size && r.sha256 === server.sentHash(r.id)).length;
  const cut = results.filter((r) => r.outcome === 'end' && r.bytes !== size).length;
  const reset = results.filter((r) => r.outcome === 'reset' || r.outcome === 'error').length;
  const hung = results.filter((r) => r.outcome === 'timeout').length;
  return { ok, cut, reset, hung };
}

describe.each(['direct', 'relay'] as const)('many bulk sessions on one channel (%s)', (via) => {
  it(`${SESSIONS} parallel downloads through one inlet all complete, byte for byte`, async () => {
    const { inlet, outlet, server, address, a, b } = await setup(via);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: SESSIONS }, (_, id) => download(address, id, SIZE, 90_000)));
    const counts = tally(results, server, SIZE);
    console.log(`${via}: ${SESSIONS} x ${SIZE / MiB} MiB in ${Date.now() - started} ms: ${JSON.stringify(counts)}; dropped a=${a.node.stats.dropped} b=${b.node.stats.dropped}, full write buffers a=${a.transport.stats.writeDropped} b=${b.transport.stats.writeDropped}`);
    expect(counts).toEqual({ ok: SESSIONS, cut: 0, reset: 0, hung: 0 });
    await expect.poll(() => inlet.status().sessions + outlet.status().sessions, { timeout: 10_000 }).toBe(0);
  }, 120_000);
});
