import { request as httpRequest, createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allowAll } from '../node/access-control.js';
import { EchoWorker } from '../node/echo-worker.js';
import { Node } from '../node/node.js';
import { local, tcp, ws } from '../routing/address.js';
import { TcpTransport } from './tcp-transport.js';
import { makeTestPki } from './testing/test-pki.js';
import type { TestPki } from './testing/test-pki.js';
import { clientFrame, clientTextFrame, rawWsConnect, readServerMessages } from './testing/ws-wire.js';
import { WsTransport } from './ws-transport.js';
import type { WsTransportOptions } from './ws-transport.js';
import { encodeMessage, decodeMessage } from '../routing/message-codec.js';
import { WS_TRANSPORT_VERSION } from './ws-connection.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Peer { node: Node; transport: WsTransport; address: string }

async function peer(name: string, options: WsTransportOptions = {}, listen = true): Promise<Peer> {
  const node = new Node({ name });
  const transport = new WsTransport(node, options);
  cleanups.push(() => node.stop());
  await node.startWorker('echo', new EchoWorker(), { incoming: allowAll });
  const address = listen ? (await transport.listen('127.0.0.1:0')).address : '';
  return { node, transport, address };
}

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});

describe('WsTransport', () => {
  it('echoes over one hop, any path, with the connection address as return hop and origin tcp', async () => {
    const a = await peer('a', {}, false);
    const b = await peer('b');
    expect(b.address).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const url = `${b.address}symbolon/project`;
    const reply = await a.node.request([ws(url), local('echo')], bytes('hello'), { timeoutMs: 5_000 });
    expect(text(reply.payload)).toBe('hello');
    expect(reply.origin).toEqual({ via: 'tcp' });
    const [outgoing] = a.transport.connections();
    expect(outgoing).toMatchObject({ remote: url, direction: 'outgoing' });
    expect(reply.returnRoute[0]).toEqual(local(outgoing!.workerAddress));
    expect(b.transport.connections()).toMatchObject([{ direction: 'incoming' }]);
  });

  it('speaks wss with a listener certificate and a CA given to the connecting side; refuses an unknown CA', async () => {
    const b = await peer('b', { tls: { cert: pki.cert, key: pki.key } });
    expect(b.address).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(b.address).port;
    const trusting = await peer('a', { ca: pki.ca }, false);
    for (const url of [`wss://localhost:${port}/`, `wss://127.0.0.1:${port}/`]) {
      const reply = await trusting.node.request([ws(url), local('echo')], bytes('over tls'), { timeoutMs: 5_000 });
      expect(text(reply.payload)).toBe('over tls');
    }
    const stranger = await peer('c', {}, false);
    await expect(stranger.transport.connect(`wss://localhost:${port}/`)).rejects.toMatchObject({ kind: 'io', message: expect.stringMatching(/certificate/i) });
    expect(stranger.transport.stats.connectFailures).toBe(1);
  });

  it('answers a plain HTTP request with 426 and keeps serving WebSockets', async () => {
    const b = await peer('b');
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(b.address.replace(/^ws:/, 'http:'), (res) => { res.resume(); resolve(res.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
    const a = await peer('a', {}, false);
    expect(text((await a.node.request([ws(b.address), local('echo')], bytes('still'), { timeoutMs: 5_000 })).payload)).toBe('still');
  });

  it('closes a connection that sends text or a fragmented message past maxFrameSize; counts them', async () => {
    const b = await peer('b', { maxFrameSize: 1024 });
    const texting = await rawWsConnect(b.address);
    texting.write(clientFrame(Uint8Array.of(WS_TRANSPORT_VERSION)));
    texting.write(clientTextFrame('hello'));
    await texting.closed;
    expect(b.transport.stats.protocolErrors).toBe(1);

    // Two fragments of 600 bytes: each under the limit, the message over it.
    const fragmenting = await rawWsConnect(b.address);
    fragmenting.write(clientFrame(Uint8Array.of(WS_TRANSPORT_VERSION)));
    fragmenting.write(clientFrame(new Uint8Array(600), { fin: false }));
    fragmenting.write(clientFrame(new Uint8Array(600), { opcode: 0 }));
    await fragmenting.closed;
    expect(b.transport.stats.oversized).toBe(1);

    const fine = await rawWsConnect(b.address);
    fine.write(clientFrame(Uint8Array.of(WS_TRANSPORT_VERSION)));
    fine.write(clientFrame(encodeMessage({ onwardRoute: [local('echo')], returnRoute: [local('raw')], payload: bytes('fine') })));
    await expect.poll(() => readServerMessages(fine.received()).map((m) => text(decodeMessage(m).payload)), { timeout: 5_000 }).toEqual(['fine']);
    await fine.destroy();
  });

  it('fails a connect refused by an HTTP server that is no WebSocket endpoint, naming the status', async () => {
    const server = createHttpServer((_req, res) => { res.writeHead(404); res.end(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const a = await peer('a', {}, false);
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await expect(a.transport.connect(url)).rejects.toMatchObject({ kind: 'io', message: expect.stringMatching(/404/) });
    a.node.send([ws(url), local('echo')], bytes('lost'));
    await expect.poll(() => a.node.stats.dropped, { timeout: 5_000 }).toBe(1);
  });

  it('times out a connect to a server that never answers the upgrade, and can be aborted', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const server = (await import('node:net')).createServer((s) => { sockets.add(s); s.on('error', () => undefined); s.resume(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }));
    const a = await peer('a', {}, false);
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await expect(a.transport.connect(url, { timeoutMs: 300 })).rejects.toMatchObject({ kind: 'timeout' });
    const controller = new AbortController();
    const pending = a.transport.connect(url, { signal: controller.signal, timeoutMs: 30_000 });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    await a.transport.stop();
    await expect.poll(() => sockets.size > 0 && [...sockets].every((s) => s.destroyed || s.closed), { timeout: 5_000 }).toBe(true);
  });

  it('lives next to the TCP transport on one node: a route may mix both', async () => {
    const a = await peer('a', {}, false);
    new TcpTransport(a.node);
    const b = await peer('b');
    const bTcp = await new TcpTransport(b.node).listen('127.0.0.1:0');
    expect(text((await a.node.request([ws(b.address), local('echo')], bytes('ws'), { timeoutMs: 5_000 })).payload)).toBe('ws');
    expect(text((await a.node.request([tcp(bTcp.address), local('echo')], bytes('tcp'), { timeoutMs: 5_000 })).payload)).toBe('tcp');
  });
});
