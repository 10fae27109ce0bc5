import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, cleanupHome, runCli, tempHome } from '../support/cli.js';
import { freePort } from '../support/free-port.js';
import { download, startDownloadServer, type DownloadResult, type DownloadServer } from '../../core/portal/testing/download-server.js';
import { TamperProxy, type ArmOptions, type TamperAction, type TamperDirection } from './support/tamper-proxy.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Bytes per tampered download: large enough that the tampering lands mid-transfer, small enough for a loaded machine. */
const SIZE = 6 * MiB;
/** Portal data frames (payload chunks, encrypted, routed) are larger than this; control frames are smaller. */
const DATA_FRAME = 4 * KiB;

async function ok(home: string, args: string[]): Promise<string> {
  const r = await runCli(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/**
 * Man in the middle on the wire between two real nodes: n1 runs a TCP inlet whose secure
 * channel to n2's listener goes through a proxy that parses the TCP transport's frames and,
 * per case, flips a bit, replays, reorders, truncates or drops one frame while a portal
 * transfer runs. Whatever the proxy does, the client either receives exactly what the
 * server sent (same SHA-256, same length, clean end) or the session aborts (ECONNRESET):
 * never a clean end of stream with wrong or missing data, never a hang. Afterwards the
 * nodes serve new connections again, through the same proxy.
 */
describe('man in the middle between an inlet node and an outlet node', () => {
  const home = tempHome('sym-mitm-');
  let server: DownloadServer;
  let proxy: TamperProxy;
  let inlet: string;
  let nextId = 1;

  /** Downloads `size` bytes through the inlet and checks the invariant; returns the result. */
  const transfer = async (size: number, timeoutMs = 45_000): Promise<DownloadResult> => {
    const id = nextId++;
    const result = await download(inlet, id, size, timeoutMs);
    expect(result.outcome, `download ${id} neither ended nor was reset (${result.bytes} bytes)`).toMatch(/^(end|reset)$/);
    if (result.outcome === 'end') {
      // A clean end of stream only with every byte the server sent, unchanged.
      expect(result.bytes).toBe(size);
      expect(result.sha256).toBe(server.sentHash(id));
    }
    return result;
  };

  /** A clean transfer through the untouched proxy succeeds again (the nodes keep serving), within a bounded time. */
  const servesAgain = async (): Promise<void> => {
    const until = Date.now() + 40_000;
    let last: DownloadResult | undefined;
    while (Date.now() < until) {
      last = await transfer(512 * KiB, 20_000);
      if (last.outcome === 'end') return;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(last?.outcome, 'the nodes did not serve a new connection within 40 s').toBe('end');
  };

  beforeAll(async () => {
    assertBuilt();
    server = await startDownloadServer();
    const listenPort = await freePort();
    await ok(home, ['node', 'create', 'n1']);
    await ok(home, ['node', 'create', 'n2', '--tcp-listener-address', `127.0.0.1:${listenPort}`]);
    proxy = await TamperProxy.start(listenPort);
    // No project: n2's listener admits n1 because a policy says so.
    await ok(home, ['policy', 'create', '--at', 'n2', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    await ok(home, ['tcp-outlet', 'create', '--at', 'n2', '--to', server.address, '--allow', 'subject.identifier != ""']);
    const inletPort = await freePort();
    inlet = `127.0.0.1:${inletPort}`;
    await ok(home, ['tcp-inlet', 'create', '--at', 'n1', '--from', inlet, '--to', `/ip4/127.0.0.1/tcp/${proxy.port}/service/api`, '--allow', 'subject.identifier != ""']);
    await servesAgain();
    expect(proxy.connections).toBeGreaterThan(0);
  }, 120_000);

  afterAll(async () => {
    await cleanupHome(home);
    await proxy?.close();
    await server?.close();
  }, 60_000);

  /** One attack: arm the proxy, download SIZE bytes, check the invariant, check the nodes serve again. */
  const attack = async (action: TamperAction, direction: TamperDirection, options: ArmOptions): Promise<DownloadResult> => {
    const done = proxy.arm(action, direction, options);
    const result = await transfer(SIZE);
    // The proxy acted during the transfer (else the case tested nothing).
    const record = await Promise.race([done, new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000))]);
    proxy.disarm();
    expect(record, `the proxy never got to ${action} a frame`).toBeDefined();
    await servesAgain();
    return result;
  };

  const data = { minFrameBytes: DATA_FRAME, afterBytes: 1 * MiB };

  it('a flipped bit in the ciphertext of a data frame aborts the session', async () => {
    expect((await attack('flip', 'to-dialer', { ...data, flipOffset: -40 })).outcome).toBe('reset');
  }, 120_000);

  it('a flipped bit in the authentication tag of a data frame aborts the session', async () => {
    expect((await attack('flip', 'to-dialer', { ...data, flipOffset: -1, flipBit: 7 })).outcome).toBe('reset');
  }, 120_000);

  it('a flipped bit in the routing header of a data frame: the data arrives intact or the session aborts', async () => {
    await attack('flip', 'to-dialer', { ...data, flipOffset: 3 });
  }, 120_000);

  it('a replayed data frame is refused (the transfer completes intact or aborts)', async () => {
    await attack('replay', 'to-dialer', data);
  }, 120_000);

  it('two swapped data frames: the transfer completes intact or aborts', async () => {
    await attack('reorder', 'to-dialer', data);
  }, 120_000);

  it('a dropped data frame aborts the session', async () => {
    expect((await attack('drop', 'to-dialer', data)).outcome).toBe('reset');
  }, 120_000);

  it('a stream cut in the middle of a data frame aborts the session', async () => {
    expect((await attack('truncate', 'to-dialer', data)).outcome).toBe('reset');
  }, 120_000);

  const control = { minFrameBytes: 1, afterFrames: 20 };

  it('a flipped bit in a frame towards the outlet (credit, acks) during a transfer: intact or aborted', async () => {
    await attack('flip', 'to-listener', control);
  }, 120_000);

  it('a replayed frame towards the outlet: intact or aborted', async () => {
    await attack('replay', 'to-listener', control);
  }, 120_000);

  it('two swapped frames towards the outlet: intact or aborted', async () => {
    await attack('reorder', 'to-listener', control);
  }, 120_000);

  it('a dropped frame towards the outlet: intact or aborted', async () => {
    await attack('drop', 'to-listener', control);
  }, 120_000);

  it('a stream cut towards the outlet during a transfer aborts the session', async () => {
    expect((await attack('truncate', 'to-listener', control)).outcome).toBe('reset');
  }, 120_000);
});
