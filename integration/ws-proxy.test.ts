import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestPki } from '../core/transport/testing/test-pki.js';
import { assertBuilt } from './support/cli.js';
import { exchange, sha256, startBlobServer, type BlobServer } from './support/hash-server.js';
import { nginxBinary, startNginxWebSocketProxy, type ReverseProxy } from './support/nginx.js';
import { freePort, Scenario, waitFor } from './support/scenario.js';

const nginx = nginxBinary();
/** CI sets this (.ci/run): without nginx the test fails instead of being skipped. */
const required = process.env.SYMBOLON_REQUIRE_NGINX === '1';

interface Connection { transport: string; direction: string; remote: string }
interface NodeShow { connections: Connection[]; wsListenerAddress: string | null }

describe.skipIf(nginx === undefined && !required)('the README scenario with both members reaching the project node over wss through nginx', () => {
  const caDir = mkdtempSync(join(tmpdir(), 'sym-ws-ca-'));
  const caFile = join(caDir, 'ca.pem');
  // The members trust the proxy's private CA the way Node does: NODE_EXTRA_CA_CERTS (their node processes inherit it).
  const s = Scenario.create({ prefix: 'sym-wsp-', env: { bank: { NODE_EXTRA_CA_CERTS: caFile }, analysis: { NODE_EXTRA_CA_CERTS: caFile } } });
  let proxy: ReverseProxy | undefined;
  let server: BlobServer | undefined;
  let inletPort = 0;
  let wsRoute = '';
  let proxyPort = 0;

  beforeAll(async () => {
    assertBuilt();
    if (nginx === undefined) throw new Error('nginx is not installed (apt-get install nginx-light) and SYMBOLON_REQUIRE_NGINX=1 requires this test');
    const pki = makeTestPki();
    writeFileSync(caFile, pki.ca);
    const [projectPort, wsPort] = [await freePort(), await freePort()];
    proxyPort = await freePort();
    inletPort = await freePort();
    proxy = await startNginxWebSocketProxy({ nginx, port: proxyPort, location: '/symbolon/', upstream: `127.0.0.1:${wsPort}`, tls: pki });
    server = await startBlobServer(4 * 1024 * 1024);

    wsRoute = `/ip4/127.0.0.1/tcp/${proxyPort}/wss/path/symbolon%2Fbank`;
    const created = await s.json<{ wsRoute: string; wsListenerAddress: string }>('admin', [
      'project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`, '--ws-listener-address', `127.0.0.1:${wsPort}`, '--ws-route', wsRoute,
    ]);
    expect(created).toMatchObject({ wsRoute, wsListenerAddress: `ws://127.0.0.1:${wsPort}/` });
    const bankTicket = s.writeFile('bank.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = s.writeFile('analysis.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']));

    await s.ok('bank', ['project', 'enroll', bankTicket, '--ws'], { timeoutMs: 90_000 });
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${server.port}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('bank', ['relay', 'create', 'postgres']);
    await s.ok('analysis', ['project', 'enroll', analysisTicket, '--ws'], { timeoutMs: 90_000 });
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
  }, 240_000);

  afterAll(async () => {
    await s.cleanup();
    await proxy?.stop();
    await server?.close();
    rmSync(caDir, { recursive: true, force: true });
  }, 60_000);

  it('the members recorded the project at its WebSocket route', async () => {
    for (const actor of ['bank', 'analysis'] as const) {
      const project = await s.json<{ route: string }>(actor, ['project', 'show', 'bank']);
      expect(project.route).toBe(wsRoute);
    }
  });

  it('bytes cross the portal both ways, SHA-256 checked, with every member connection a wss connection through nginx', async () => {
    const upload = randomBytes(1024 * 1024);
    const result = await waitFor('a whole exchange through the inlet', async () => {
      const r = await exchange(inletPort, upload, { timeoutMs: 60_000 });
      return r.bytes === server!.blob.length ? r : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    expect(result.sha256).toBe(sha256(server!.blob));
    await waitFor('the outlet side to hash the upload', () => (server!.received.includes(sha256(upload)) ? true : undefined));

    const through = `wss://127.0.0.1:${proxyPort}/symbolon/bank`;
    for (const actor of ['bank', 'analysis'] as const) {
      const shown = await s.json<NodeShow>(actor, ['node', 'show']);
      expect(shown.connections.length, actor).toBeGreaterThan(0);
      expect(shown.connections.map((c) => [c.transport, c.direction, c.remote]), actor).toEqual(shown.connections.map(() => ['ws', 'outgoing', through]));
    }
    const projectNode = await s.json<NodeShow>('admin', ['node', 'show', 'bank']);
    expect(projectNode.connections.filter((c) => c.transport === 'ws' && c.direction === 'incoming').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('nginx logged the upgrades (101) on the proxied path', async () => {
    // nginx writes a WebSocket request's line when it ends: stop the members' nodes first.
    for (const actor of ['bank', 'analysis'] as const) await s.ok(actor, ['node', 'stop', await s.defaultNode(actor)]);
    const upgrades = await waitFor('the access log lines', () => {
      const lines = proxy!.accessLog().filter((l) => l === '101 /symbolon/bank websocket');
      return lines.length >= 2 ? lines : undefined;
    }, { timeoutMs: 15_000 });
    expect(upgrades.length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
