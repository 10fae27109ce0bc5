import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { exchange, sha256, startBlobServer, type BlobServer } from './support/hash-server.js';
import { freePort, Scenario, waitFor } from './support/scenario.js';

interface InletShow { path?: { path: string; peerAddress?: string; reason?: string } }

describe('tcp-inlet --direct on one machine: the end-to-end channel moves off the relay onto UDP between the members', () => {
  const s = Scenario.create({ prefix: 'sym-direct-' });
  let server: BlobServer | undefined;
  let inletPort = 0;

  beforeAll(async () => {
    assertBuilt();
    const [projectPort, udpPort] = [await freePort(), await freePort()];
    inletPort = await freePort();
    server = await startBlobServer(4 * 1024 * 1024);
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`, '--udp-listener-address', `127.0.0.1:${udpPort}`]);
    const bankTicket = s.writeFile('bank.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = s.writeFile('analysis.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']));
    await s.ok('bank', ['project', 'enroll', bankTicket], { timeoutMs: 90_000 });
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${server.port}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('bank', ['relay', 'create', 'postgres']);
    await s.ok('analysis', ['project', 'enroll', analysisTicket], { timeoutMs: 90_000 });
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--direct', '--allow', 'subject.component == "db"']);
  }, 240_000);

  afterAll(async () => {
    await s.cleanup();
    await server?.close();
  }, 60_000);

  it('carries the first exchange, moves onto the direct path, and carries the next one there with the same SHA-256', async () => {
    const upload = randomBytes(512 * 1024);
    const first = await waitFor('a whole exchange through the inlet', async () => {
      const r = await exchange(inletPort, upload, { timeoutMs: 60_000 });
      return r.bytes === server!.blob.length ? r : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    expect(first.sha256).toBe(sha256(server!.blob));
    const shown = await waitFor('the direct path', async () => {
      const i = await s.json<InletShow>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${inletPort}`]);
      return i.path?.path === 'direct' ? i : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500 });
    expect(shown.path?.peerAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    const second = await exchange(inletPort, upload, { timeoutMs: 60_000 });
    expect(second.sha256).toBe(sha256(server!.blob));
    const node = await s.json<{ connections: Array<{ transport: string; remote: string; bytesOut: number }> }>('analysis', ['node', 'show']);
    const direct = node.connections.find((c) => c.transport === 'udp' && c.remote === shown.path?.peerAddress);
    expect(direct?.bytesOut).toBeGreaterThan(upload.length);
    const status = await s.ok('analysis', ['status']);
    expect(status).toContain('(direct path)');
  }, 150_000);
});
