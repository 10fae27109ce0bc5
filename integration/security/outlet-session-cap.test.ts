import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../support/cli.js';
import { Scenario, setUpScenario, waitFor, type ScenarioSetup } from '../support/scenario.js';
import { startEchoServer, type EchoServer } from '../../core/portal/testing/echo-server.js';

/**
 * Attack: one authorized peer (Analysis Corp's node, through its inlet) opens 3,000 portal
 * sessions to Bank Corp's outlet at once. Without a per-peer cap the outlet opened 3,000
 * connections to the server behind it; with the default cap (256) it opens at most 256 and
 * refuses (and counts) the rest.
 */
describe('outlet: per-peer session cap (real CLI nodes)', () => {
  const s = Scenario.create({ prefix: 'sym-cap-' });
  let server: EchoServer | undefined;
  let setup: ScenarioSetup;
  const clients: Socket[] = [];

  beforeAll(async () => {
    assertBuilt();
    server = await startEchoServer((socket) => { socket.pipe(socket); });
    setup = await setUpScenario(s, { target: server.address });
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s.cleanup();
    await server?.close();
  }, 60_000);

  it('one peer opening 3,000 sessions gets at most 256 server connections; the rest are refused and counted', async () => {
    const ATTEMPTS = 3_000;
    for (let i = 0; i < ATTEMPTS; i++) {
      const c = connect({ host: '127.0.0.1', port: setup.inletPort });
      c.on('error', () => undefined);
      c.write('x');
      clients.push(c);
      if (i % 200 === 199) await new Promise((r) => setTimeout(r, 50));
    }
    type Show = { status: { sessions: number; refusedPeerCap: number; maxSessionsPerPeer: number; peers: number } };
    const shown = await waitFor('the outlet to refuse the sessions past the cap', async () => {
      const o = await s.json<Show>('bank', ['tcp-outlet', 'show']);
      return o.status.refusedPeerCap + o.status.sessions >= ATTEMPTS - 50 ? o : undefined;
    }, { timeoutMs: 60_000, intervalMs: 500 });
    expect(shown.status.maxSessionsPerPeer).toBe(256);
    expect(shown.status.sessions).toBeLessThanOrEqual(256);
    expect(shown.status.peers).toBe(1);
    expect(shown.status.refusedPeerCap).toBeGreaterThanOrEqual(ATTEMPTS - 256 - 50);
    expect(server!.accepted()).toBeLessThanOrEqual(256);
  }, 120_000);
});
