import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { local } from '../../core/routing/address.js';
import { encodeMessage } from '../../core/routing/message-codec.js';
import type { RawPeer } from '../../core/transport/testing/transport-contract.js';
import { clientFrame, clientFrameHeader, rawWsConnect } from '../../core/transport/testing/ws-wire.js';
import { WS_TRANSPORT_VERSION } from '../../core/transport/ws-connection.js';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from '../support/cli.js';
import { rssBytes } from '../support/scenario.js';
import { sleep } from './support/wire-client.js';

/** The attacker connects from another loopback address, so the node sees a source other than its legitimate peers on 127.0.0.1. */
const ATTACKER = '127.0.0.2';

interface Info {
  pid: number;
  wsListenerAddress: string;
  stats: { ws: { peers: { refusedConnections: number; closedForBuffering: number; closedForPartialFrames: number; partialFrameBytes: number } } };
}

/**
 * The WebSocket listener has the TCP listener's bounds (docs/transports.md, threat-model.md):
 * one source cannot make a node hold unbounded connections, partly received messages or
 * unread replies, and others keep being served. Real node processes started by the CLI;
 * the attacker speaks raw WebSocket frames.
 */
describe('hostile WebSocket peers are bounded per source', () => {
  const home = tempHome('sym-sec-ws-');
  const attackers: RawPeer[] = [];
  let info: Info;
  const closed = new Set<RawPeer>();

  const ok = async (args: string[]): Promise<string> => {
    const r = await runCli(home, args);
    if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const show = async (): Promise<Info> => (await runCliJson(home, ['node', 'show', 'target'])).json as Info;
  const attack = async (options: { noRead?: boolean } = {}): Promise<RawPeer | undefined> => {
    const peer = await rawWsConnect(info.wsListenerAddress, { localAddress: ATTACKER, ...options }).catch(() => undefined);
    if (peer === undefined) return undefined;
    attackers.push(peer);
    void peer.closed.then(() => closed.add(peer));
    peer.write(clientFrame(Uint8Array.of(WS_TRANSPORT_VERSION)));
    return peer;
  };
  const release = async (): Promise<void> => { await Promise.all(attackers.splice(0).map((a) => a.destroy())); };
  const echoOverWs = async (text: string): Promise<string> => {
    const port = new URL(info.wsListenerAddress).port;
    return (await runCli(home, ['message', 'send', '--from', 'peer', '--to', `/ip4/127.0.0.1/tcp/${port}/ws/service/echo`, text])).stdout;
  };

  beforeAll(async () => {
    assertBuilt();
    await ok(['node', 'create', 'target', '--ws-listener-address', '127.0.0.1:0']);
    await ok(['node', 'create', 'peer']);
    await ok(['policy', 'create', '--at', 'target', '--resource', 'echo', '--expression', 'true']);
    info = await show();
    expect(info.wsListenerAddress).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await echoOverWs('served')).toBe('served\n');
  }, 60_000);
  afterAll(async () => {
    await release();
    await cleanupHome(home);
  });

  it('caps the WebSocket connections of one source; others still connect', async () => {
    await Promise.all(Array.from({ length: 200 }, () => attack()));
    await sleep(1_000);
    expect(attackers.filter((a) => !closed.has(a)).length).toBeLessThanOrEqual(64);
    expect((await show()).stats.ws.peers.refusedConnections).toBeGreaterThan(0);
    expect(await echoOverWs('still served')).toBe('still served\n');
    await release();
  }, 60_000);

  it('partly sent maximum-size messages from one source are bounded (the source is closed past its budget)', async () => {
    const before = rssBytes(info.pid);
    const part = new Uint8Array(200 * 1024);
    for (let i = 0; i < 64; i++) {
      const peer = await attack();
      if (peer === undefined) continue;
      // A 256 KiB message announced, 200 KiB of it sent, the rest never.
      peer.write(clientFrameHeader(256 * 1024));
      peer.write(part);
    }
    await sleep(1_500);
    const stats = (await show()).stats.ws.peers;
    expect(stats.closedForPartialFrames).toBeGreaterThan(0);
    expect(stats.partialFrameBytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    expect(rssBytes(info.pid) - before).toBeLessThan(40 * 1024 * 1024);
    expect(await echoOverWs('after partial')).toBe('after partial\n');
    await release();
  }, 60_000);

  it('a client that sends requests and never reads the replies is closed', async () => {
    const request = clientFrame(encodeMessage({ onwardRoute: [local('echo')], returnRoute: [local('me')], payload: new Uint8Array(64 * 1024) }));
    const clients = (await Promise.all(Array.from({ length: 16 }, () => attack({ noRead: true })))).filter((c) => c !== undefined);
    const until = Date.now() + 20_000;
    while (Date.now() < until && clients.some((c) => !closed.has(c))) {
      for (const c of clients) if (!closed.has(c)) for (let i = 0; i < 8; i++) c.write(request);
      await sleep(50);
    }
    expect(clients.filter((c) => !closed.has(c))).toHaveLength(0);
    expect((await show()).stats.ws.peers.closedForBuffering).toBeGreaterThan(0);
    expect(await echoOverWs('after')).toBe('after\n');
    await release();
  }, 60_000);
});
