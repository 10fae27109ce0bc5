import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { Scenario, setUpScenario, waitFor, type ScenarioSetup } from './support/scenario.js';
import { download, startDownloadServer, type DownloadServer } from '../core/portal/testing/download-server.js';

const MiB = 1024 * 1024;

describe('an aborted portal session is never taken for a complete one (real CLI nodes)', () => {
  const s = Scenario.create({ prefix: 'sym-abort-' });
  let server: DownloadServer | undefined;
  let setup: ScenarioSetup;

  beforeAll(async () => {
    assertBuilt();
    server = await startDownloadServer();
    setup = await setUpScenario(s, { target: server.address });
    // A first small download opens the channels.
    const warm = await download(`127.0.0.1:${setup.inletPort}`, 1, 1024, 30_000);
    expect(warm.outcome).toBe('end');
  }, 120_000);

  afterAll(async () => {
    await s.cleanup();
    await server?.close();
  }, 60_000);

  it('killing the outlet node mid-download resets the client (ECONNRESET), never a clean end of stream', async () => {
    const size = 1024 * MiB;
    const pending = download(`127.0.0.1:${setup.inletPort}`, 2, size, 60_000);
    // Kill Bank's node once the transfer is well under way.
    const bankPids = s.nodePids('bank');
    expect(bankPids.length).toBeGreaterThan(0);
    await waitFor('some data through the portal', async () => {
      const status = await s.json<{ status: { bytesIn: number } }>('analysis', ['tcp-inlet', 'show', `127.0.0.1:${setup.inletPort}`]);
      return status.status.bytesIn > 4 * MiB ? true : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    for (const pid of bankPids) process.kill(pid, 'SIGKILL');
    const result = await pending;
    expect(result.bytes).toBeGreaterThan(0);
    expect(result.bytes).toBeLessThan(size);
    expect(result.outcome).toBe('reset');
  }, 90_000);
});
