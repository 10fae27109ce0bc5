import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from '../support/cli.js';
import { rssBytes } from '../support/scenario.js';
import { WireClient, local, sleep } from './support/wire-client.js';

/** The attacker connects from another loopback address, so the node sees a source other than its legitimate peers on 127.0.0.1. */
const ATTACKER = '127.0.0.2';

interface Info {
  pid: number;
  tcpListenerAddress: string;
  connections: Array<{ remote: string; bufferedBytes: number }>;
  stats: { peers: { refusedConnections: number; closedForBuffering: number; partialFrameBytes: number } };
}

/**
 * Bounded hostile peers (docs/threat-model.md, "Resource limits"): one source cannot make
 * a node hold unbounded connections, buffers, partial frames or handshake slots, and
 * others keep being served meanwhile. Real node processes started by the real CLI.
 */
describe('hostile peers are bounded per source', () => {
  const home = tempHome('sym-sec-hostile-');
  const attackers: WireClient[] = [];
  let info: Info;

  const ok = async (args: string[]): Promise<string> => {
    const r = await runCli(home, args);
    if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const show = async (): Promise<Info> => (await runCliJson(home, ['node', 'show', 'target'])).json as Info;
  const release = (): void => { for (const a of attackers.splice(0)) a.close(); };

  beforeAll(async () => {
    assertBuilt();
    await ok(['node', 'create', 'target']);
    await ok(['node', 'create', 'peer']);
    // No project here: the listener admits channels by policy, echo answers by policy.
    await ok(['policy', 'create', '--at', 'target', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    await ok(['policy', 'create', '--at', 'target', '--resource', 'echo', '--expression', 'true']);
    info = await show();
  }, 60_000);
  afterAll(async () => {
    release();
    await cleanupHome(home);
  });

  it('a flood of handshake message 1 from one source does not deny channels to others', async () => {
    const flood = await WireClient.connect(info.tcpListenerAddress, { localAddress: ATTACKER, noRead: true });
    attackers.push(flood);
    // 300 message 1s (a fresh ephemeral key each): the old listener held 64 slots for 10 s.
    for (let i = 0; i < 300; i++) flood.send([local('api')], Buffer.concat([Uint8Array.of(1), randomBytes(32)]), [local(`a${i}`)]);
    await sleep(1_000);
    const r = await runCli(home, ['secure-channel', 'create', '--from', 'peer', '--to', '/node/target/service/api']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const listener = ((await runCliJson(home, ['secure-channel', 'list', '--at', 'target'])).json as { listener: { droppedPerSource: number } }).listener;
    expect(listener.droppedPerSource).toBeGreaterThan(0);
    release();
  }, 60_000);

  it('caps the connections of one source; others still connect', async () => {
    const clients = await Promise.all(Array.from({ length: 300 }, () => WireClient.connect(info.tcpListenerAddress, { localAddress: ATTACKER }).catch(() => undefined)));
    for (const c of clients) if (c) attackers.push(c);
    await sleep(1_000);
    const open = attackers.filter((c) => !c.closed).length;
    expect(open).toBeLessThanOrEqual(64);
    const r = await runCli(home, ['message', 'send', '--from', 'peer', '--to', '/node/target/service/echo', 'still served']);
    expect(r.stdout).toBe('still served\n');
    expect((await show()).stats.peers.refusedConnections).toBeGreaterThan(0);
    release();
  }, 60_000);

  it('half-sent maximum-size frames cost the node what was sent, not what was announced', async () => {
    const before = rssBytes(info.pid);
    const header = Buffer.alloc(5);
    header.writeUInt32BE(256 * 1024, 0);
    for (let i = 0; i < 200; i++) {
      const c = await WireClient.connect(info.tcpListenerAddress, { localAddress: ATTACKER }).catch(() => undefined);
      if (!c) continue;
      attackers.push(c);
      c.raw(header);
    }
    await sleep(1_500);
    const grown = rssBytes(info.pid) - before;
    expect(grown).toBeLessThan(30 * 1024 * 1024);
    expect((await show()).stats.peers.partialFrameBytes).toBeLessThanOrEqual(64 * 16 * 1024);
    release();
  }, 60_000);

  it('a client that sends requests and never reads the replies is closed; the node holds a bounded amount', async () => {
    const before = rssBytes(info.pid);
    const request = new Uint8Array(64 * 1024);
    const clients = await Promise.all(Array.from({ length: 24 }, () => WireClient.connect(info.tcpListenerAddress, { localAddress: ATTACKER, noRead: true })));
    attackers.push(...clients);
    const until = Date.now() + 20_000;
    let peak = 0;
    while (Date.now() < until && clients.some((c) => !c.closed)) {
      for (const c of clients) for (let i = 0; i < 8 && !c.closed; i++) c.send([local('echo')], request, [local('me')]);
      await sleep(50);
      peak = Math.max(peak, rssBytes(info.pid) - before);
    }
    expect(clients.filter((c) => !c.closed)).toHaveLength(0);
    expect(peak).toBeLessThan(100 * 1024 * 1024);
    expect((await show()).stats.peers.closedForBuffering).toBeGreaterThan(0);
    const r = await runCli(home, ['message', 'send', '--from', 'peer', '--to', '/node/target/service/echo', 'after']);
    expect(r.stdout).toBe('after\n');
    release();
  }, 60_000);
});
