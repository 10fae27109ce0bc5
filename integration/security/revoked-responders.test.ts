import { join } from 'node:path';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl } from '../../core/api/control-client.js';
import { assertBuilt } from '../support/cli.js';
import { freePort, Scenario, waitFor } from '../support/scenario.js';

/** An echo server standing for Bank Corp's database: it counts the connections it accepted. */
async function startCountingEcho(): Promise<{ hostPort: string; readonly connections: number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    hostPort: `127.0.0.1:${port}`,
    get connections() { return connections; },
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** Writes `text` through the inlet at `port`; resolves with the echo, or undefined when the connection closed without it. */
function through(port: number, text: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let got = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (d: Buffer) => { got += d.toString(); if (got.length >= text.length) socket.destroy(); });
    socket.on('error', () => undefined);
    socket.once('close', () => { clearTimeout(timer); resolve(got.length >= text.length ? got : undefined); });
  });
}

/**
 * Attack: a node kept opening channels to a peer its project had revoked. Listeners,
 * outlets and inlets' checks of the outlet side refused revoked identities, but the
 * channels a node opens itself did not check the responder: after Bank Corp was
 * suspended, a new inlet of Analysis Corp (created once the revocation had reached its
 * node) still completed a handshake with Bank's node and sent it a session, and Bank's
 * outlet connected to the database behind it before the inlet turned the pong down;
 * `secure-channel create` to Bank's node simply succeeded. Now the initiator refuses a
 * revoked responder during the handshake, before message 3: nothing is sent to it, and
 * the inlet's last error says why. Real processes: a project, Bank Corp with an outlet,
 * Analysis Corp with a direct inlet to Bank's listener (no relay: the project node's relay
 * rules play no part).
 */
describe('channels a node opens itself refuse a revoked responder', () => {
  const s = Scenario.create({ prefix: 'sym-sec-responder-' });
  let db: Awaited<ReturnType<typeof startCountingEcho>>;
  let bankRoute = '';
  let bankId = '';
  let analysisNode = '';
  let inlet = 0;

  const control = <T>(node: string, method: string, params: Record<string, unknown> = {}): Promise<T> =>
    callControl({ path: join(s.homes.analysis, 'nodes', node, 'control.sock'), name: node }, method, params) as Promise<T>;

  beforeAll(async () => {
    assertBuilt();
    db = await startCountingEcho();
    const projectPort = await freePort();
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
    const bankTicket = s.writeFile('bank.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db']));
    const analysisTicket = s.writeFile('analysis.ticket', await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis']));
    await s.ok('bank', ['project', 'enroll', bankTicket]);
    await s.ok('bank', ['tcp-outlet', 'create', '--to', db.hostPort, '--allow', 'subject.component == "analysis"']);
    await s.ok('analysis', ['project', 'enroll', analysisTicket]);
    bankId = (await s.json<{ identifier: string }>('bank', ['identity', 'show'])).identifier;
    const bankNode = await s.json<{ tcpListenerAddress: string }>('bank', ['node', 'show', await s.defaultNode('bank')]);
    bankRoute = `/ip4/${bankNode.tcpListenerAddress.replace(':', '/tcp/')}/service/api`;
    analysisNode = await s.defaultNode('analysis');
    inlet = await freePort();
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inlet}`, '--to', bankRoute, '--allow', 'subject.component == "db"']);
    expect(await waitFor('the inlet to reach the outlet', () => through(inlet, 'before'), { timeoutMs: 30_000, intervalMs: 300 })).toBe('before');
  }, 180_000);

  afterAll(async () => {
    await s.cleanup();
    await db?.close();
  }, 60_000);

  it("closes the open inlet channel, and a new inlet's channel is refused before the revoked node sees a session", async () => {
    const channelsToBank = async (): Promise<number> =>
      (await s.json<{ channels: Array<{ peer: string }> }>('analysis', ['secure-channel', 'list'])).channels.filter((c) => c.peer === bankId).length;
    expect(await channelsToBank()).toBe(1);

    await s.ok('admin', ['project', 'member', 'suspend', bankId]);
    // The revocation reaches Analysis Corp's node (its list names one identity).
    await waitFor('the revocation list at the inlet node', async () => {
      const view = await control<{ lists: Array<{ entries: number }> }>(analysisNode, 'revocations.show');
      return view.lists.some((l) => l.entries > 0) ? true : undefined;
    }, { timeoutMs: 15_000, intervalMs: 300 });
    // The open channel to the revoked node closes.
    await waitFor('the channel to the revoked node to close', async () => ((await channelsToBank()) === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 300 });

    // A new inlet to the revoked node: each client connection is closed without data, and
    // the revoked node's outlet never connects to the database for it.
    const sessionsBefore = (await s.json<{ status: { sessionsOpened: number; sessionsFailed: number } }>('bank', ['tcp-outlet', 'show'])).status;
    const reachedBefore = db.connections;
    const second = await freePort();
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${second}`, '--to', bankRoute, '--allow', 'subject.component == "db"']);
    for (const port of [second, inlet, second]) {
      const t0 = Date.now();
      expect(await through(port, 'after')).toBeUndefined();
      expect(Date.now() - t0).toBeLessThan(8_000);
    }
    expect(db.connections).toBe(reachedBefore);
    const sessionsAfter = (await s.json<{ status: { sessionsOpened: number; sessionsFailed: number } }>('bank', ['tcp-outlet', 'show'])).status;
    expect(sessionsAfter).toEqual(sessionsBefore);
    expect(await channelsToBank()).toBe(0);

    const shown = await s.json<{ status: { lastError?: string } }>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${second}`]);
    expect(shown.status.lastError).toMatch(new RegExp(`^cannot reach the outlet: refused to open a channel to .*: the responder ${bankId} is revoked by authority I[0-9a-f]+ \\(suspended\\)$`));
    const denials = await control<{ denials: Array<{ resource: { type: string }; action: string; reason: string }> }>(analysisNode, 'policy.denials');
    expect(denials.denials).toContainEqual(expect.objectContaining({ resource: expect.objectContaining({ type: 'secure-channel' }), action: 'open', reason: expect.stringMatching(/revoked/) }));

    // secure-channel create to the revoked node fails, with the reason.
    const r = await s.run('analysis', ['secure-channel', 'create', '--to', bankRoute]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`the responder ${bankId} is revoked`));
    expect(await channelsToBank()).toBe(0);
  }, 120_000);
});
