import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { exchange, sha256, startBlobServer, type BlobServer } from './support/hash-server.js';
import { freePort, Scenario, waitFor } from './support/scenario.js';

interface Connection { transport: string; direction: string; remote: string; bytesIn: number; bytesOut: number }
interface NodeShow { connections: Connection[]; udpListenerAddress: string | null }
interface InletShow { path?: { path: string; peerAddress?: string; reason?: string } }

/**
 * The README scenario with both members enrolled over UDP (`project enroll --udp`) and the
 * inlet created with `--direct`: first through the relay, then on a direct UDP path
 * between the two members (on one machine: no NAT, see integration/netns/ for that).
 */
describe('the README scenario over UDP, and tcp-inlet --direct', () => {
  const s = Scenario.create({ prefix: 'sym-udp-' });
  let server: BlobServer | undefined;
  let inletPort = 0;
  let udpRoute = '';
  let udpAddress = '';

  beforeAll(async () => {
    assertBuilt();
    const [projectPort, udpPort] = [await freePort(), await freePort()];
    inletPort = await freePort();
    server = await startBlobServer(4 * 1024 * 1024);
    udpRoute = `/ip4/127.0.0.1/udp/${udpPort}`;
    udpAddress = `127.0.0.1:${udpPort}`;
    const created = await s.json<{ udpRoute: string; udpListenerAddress: string }>('admin', [
      'project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`, '--udp-listener-address', udpAddress,
    ]);
    expect(created).toMatchObject({ udpRoute, udpListenerAddress: udpAddress });
    const bankTicket = s.writeFile('bank.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = s.writeFile('analysis.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']));

    await s.ok('bank', ['project', 'enroll', bankTicket, '--udp'], { timeoutMs: 90_000 });
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${server.port}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('bank', ['relay', 'create', 'postgres']);
    await s.ok('analysis', ['project', 'enroll', analysisTicket, '--udp'], { timeoutMs: 90_000 });
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--direct', '--allow', 'subject.component == "db"']);
  }, 240_000);

  afterAll(async () => {
    await s.cleanup();
    await server?.close();
  }, 60_000);

  it('the members recorded the project at its UDP route', async () => {
    for (const actor of ['bank', 'analysis'] as const) {
      const project = await s.json<{ route: string }>(actor, ['project', 'show', 'bank']);
      expect(project.route).toBe(udpRoute);
    }
  });

  it('bytes cross the portal both ways, SHA-256 checked, with every member connection a UDP connection', async () => {
    const upload = randomBytes(1024 * 1024);
    const result = await waitFor('a whole exchange through the inlet', async () => {
      const r = await exchange(inletPort, upload, { timeoutMs: 60_000 });
      return r.bytes === server!.blob.length ? r : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    expect(result.sha256).toBe(sha256(server!.blob));
    await waitFor('the outlet side to hash the upload', () => (server!.received.includes(sha256(upload)) ? true : undefined));

    for (const actor of ['bank', 'analysis'] as const) {
      const shown = await s.json<NodeShow>(actor, ['node', 'show']);
      expect(shown.connections.map((c) => c.transport), actor).not.toContain('tcp');
      expect(shown.connections.filter((c) => c.direction === 'outgoing' && c.remote === udpAddress), actor).toHaveLength(1);
    }
    const projectNode = await s.json<NodeShow>('admin', ['node', 'show', 'bank']);
    expect(projectNode.udpListenerAddress).toBe(udpAddress);
    expect(projectNode.connections.filter((c) => c.transport === 'udp' && c.direction === 'incoming').length).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('with --direct the end-to-end channel moves onto UDP between the members, and the next exchange goes there with the same SHA-256', async () => {
    const shown = await waitFor('the direct path', async () => {
      const i = await s.json<InletShow>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${inletPort}`]);
      return i.path?.path === 'direct' ? i : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(shown.path?.peerAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const upload = randomBytes(512 * 1024);
    const second = await exchange(inletPort, upload, { timeoutMs: 60_000 });
    expect(second.sha256).toBe(sha256(server!.blob));
    const node = await s.json<NodeShow>('analysis', ['node', 'show']);
    const direct = node.connections.find((c) => c.transport === 'udp' && c.remote === shown.path?.peerAddress);
    expect(direct?.bytesIn).toBeGreaterThan(server!.blob.length);
    expect(await s.ok('analysis', ['status'])).toContain('(direct path)');
  }, 120_000);
});
