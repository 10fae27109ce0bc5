import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, IoError } from '../../core/errors.js';
import { silentLogger } from '../../core/logger.js';
import { SecureChannelRegistry } from '../../core/channel/secure-channel-registry.js';
import { Home } from '../home/home.js';
import { createNode } from '../client/node-lifecycle.js';
import { NodeDaemon } from './node-daemon.js';
import type { DaemonContext, DaemonService } from './service.js';
import { daemonServices } from './services/index.js';
import { setAcceptUnauthenticated } from './services/secure-channels.js';

/** A port on 127.0.0.1 that refuses connections (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('ChannelManager (two in-process nodes)', () => {
  let dir: string;
  let home: Home;
  const running: NodeDaemon[] = [];
  const contexts = new Map<string, DaemonContext>();
  const capture: DaemonService = { name: 'capture', start(ctx) { contexts.set(ctx.name, ctx); } };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sym-chm-'));
    home = new Home(join(dir, 'home'));
    for (const name of ['n1', 'n2']) {
      createNode(home, name);
      running.push(await NodeDaemon.start({ home, name, logger: silentLogger, services: [...daemonServices, capture] }));
    }
    // No project here: n2's listener admits any authenticated peer.
    setAcceptUnauthenticated(home, 'n2', true);
    await running.pop()!.stop();
    running.push(await NodeDaemon.start({ home, name: 'n2', logger: silentLogger, services: [...daemonServices, capture] }));
  });
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop();
    contexts.clear();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shares one handshake between concurrent callers; one caller giving up does not fail the others', async () => {
    const { channels, parseRoute } = contexts.get('n1')!;
    const route = parseRoute('/node/n2/service/api');
    const gaveUp = new AbortController();
    const mine = channels.toListener(route, { signal: gaveUp.signal }).catch((error: unknown) => error);
    gaveUp.abort();
    const all = await Promise.all(Array.from({ length: 5 }, () => channels.toListener(route)));
    expect(await mine).toBeInstanceOf(AbortedError);
    expect(new Set(all.map((c) => c.address)).size).toBe(1);
    expect(SecureChannelRegistry.of(contexts.get('n2')!.node).list().filter((c) => c.role === 'responder')).toHaveLength(1);
    const [channel] = all;
    expect(channels.list()).toEqual([{ purpose: channels.purposeOf(channel!.address), address: channel!.address, peer: channel!.peerIdentity.identifier }]);
    expect(channels.purposeOf(channel!.address)).toMatch(/^route \/ip4\/127\.0\.0\.1\/tcp\/\d+\/service\/api$/);
  });

  it('tells users that a channel closed through its signal, and opens a new one on the next use', async () => {
    const { channels, parseRoute } = contexts.get('n1')!;
    const route = parseRoute('/node/n2/service/api');
    const first = await channels.toListener(route);
    const closed = channels.closedSignal(first);
    expect(channels.closedSignal(first)).toBe(closed);
    expect(closed.aborted).toBe(false);
    await first.close();
    expect(closed.aborted).toBe(true);
    const second = await channels.toListener(route);
    expect(second.address).not.toBe(first.address);
    expect(channels.closedSignal(second).aborted).toBe(false);
  });

  it('fails at once with the transport\'s reason when the first hop refuses the connection', async () => {
    const { channels, parseRoute } = contexts.get('n1')!;
    const port = await closedPort();
    const t0 = Date.now();
    const failed = channels.toListener(parseRoute(`/ip4/127.0.0.1/tcp/${port}/service/api`));
    await expect(failed).rejects.toBeInstanceOf(IoError);
    await expect(failed).rejects.toThrow(/ECONNREFUSED/);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(channels.list()).toEqual([]);
  });

  it('fails at once when the connection closes during the handshake (the peer died), not at the handshake deadline', async () => {
    const { channels, parseRoute } = contexts.get('n1')!;
    // A peer that takes the connection and the first handshake message, then goes away.
    const server = createServer((socket) => {
      let bytes = 0;
      socket.on('data', (chunk) => { bytes += chunk.length; if (bytes > 1) socket.destroy(); });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const failed = channels.toListener(parseRoute(`/ip4/127.0.0.1/tcp/${port}/service/api`));
      await expect(failed).rejects.toBeInstanceOf(IoError);
      await expect(failed).rejects.toThrow(/closed during the handshake/);
      expect(channels.list()).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses new channels once closed', async () => {
    const { channels, parseRoute } = contexts.get('n1')!;
    const open = await channels.toListener(parseRoute('/node/n2/service/api'));
    await channels.closeAll();
    expect(open.isClosed).toBe(true);
    await expect(channels.toListener(parseRoute('/node/n2/service/api'))).rejects.toBeInstanceOf(AbortedError);
  });
});
