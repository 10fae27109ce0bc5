import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from './support/cli.js';
import { ACTORS, freePort, rssBytes, Scenario, setUpScenario, waitFor, type ScenarioSetup } from './support/scenario.js';

const MiB = 1024 * 1024;

/**
 * Bank Corp's server for these tests. The first byte of each connection picks the mode:
 * 'E' echoes everything back, 'H' answers the hex SHA-256 of everything after the mode byte
 * once the client half-closes, 'S' stops reading at once and never reads again.
 */
async function startModeServer(): Promise<{ port: number; stalled: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let stalled = 0;
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('readable', function first() {
      const head = socket.read(1) as Buffer | null;
      if (head === null) { socket.once('readable', first); return; }
      const mode = String.fromCharCode(head[0]!);
      if (mode === 'E') {
        socket.pipe(socket);
      } else if (mode === 'H') {
        const hash = createHash('sha256');
        socket.on('data', (d: Buffer) => hash.update(d));
        socket.once('end', () => socket.end(hash.digest('hex')));
      } else {
        stalled += 1;
        socket.pause();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    stalled: () => stalled,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** Sends `mode` + `data` to 127.0.0.1:`port`, half-closes, and resolves with everything received before the end. */
function exchange(port: number, mode: string, data: Buffer | ((socket: Socket) => Promise<void>), timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = createConnection({ host: '127.0.0.1', port, allowHalfOpen: true });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`exchange (${mode}) timed out after ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    socket.once('end', () => { clearTimeout(timer); socket.end(); resolve(Buffer.concat(chunks)); });
    socket.once('connect', () => {
      socket.write(mode);
      if (Buffer.isBuffer(data)) socket.end(data);
      else data(socket).then(() => socket.end(), (err: unknown) => { socket.destroy(); reject(err as Error); });
    });
  });
}

/** Writes `total` random bytes in 1 MiB chunks, respecting backpressure, feeding `hash`. */
async function writeRandom(socket: Socket, total: number, hash: ReturnType<typeof createHash>): Promise<void> {
  const block = randomBytes(MiB);
  for (let sent = 0; sent < total; sent += MiB) {
    block.writeUInt32BE(sent / MiB, 0);
    const chunk = Buffer.from(block);
    hash.update(chunk);
    if (!socket.write(chunk)) await new Promise<void>((r) => socket.once('drain', () => r()));
  }
}

describe('portal under load through the relay (real CLI nodes, one process each)', () => {
  const s = Scenario.create({ prefix: 'sym-load-' });
  let server: Awaited<ReturnType<typeof startModeServer>> | undefined;
  let setup: ScenarioSetup;
  const measured: Record<string, unknown> = {};

  beforeAll(async () => {
    assertBuilt();
    server = await startModeServer();
    const t0 = Date.now();
    setup = await setUpScenario(s, { target: `127.0.0.1:${server.port}` });
    measured.setupMs = Date.now() - t0;
    // The first session opens the channels; keep it out of the timings below.
    expect((await exchange(setup.inletPort, 'E', Buffer.from('warm up'), 20_000)).toString()).toBe('warm up');
  }, 120_000);

  afterAll(async () => {
    await s.cleanup();
    await server?.close();
    console.log(`portal load measurements: ${JSON.stringify(measured)}`);
  }, 60_000);

  it('100 concurrent connections through one inlet each get their own distinct data back', async () => {
    const payloads = Array.from({ length: 100 }, (_, i) => Buffer.concat([Buffer.from(`connection ${i}:`), randomBytes(16 * 1024 + i * 97)]));
    const t0 = Date.now();
    const echoed = await Promise.all(payloads.map((p) => exchange(setup.inletPort, 'E', p, 45_000)));
    measured.hundredConnectionsMs = Date.now() - t0;
    echoed.forEach((got, i) => expect(got.equals(payloads[i]!), `connection ${i}`).toBe(true));
  }, 60_000);

  /**
   * `sessions` parallel bulk sessions through the inlet on `port` (one end-to-end channel
   * carries them all), each echoing `bytes` distinct random bytes, all checked byte for
   * byte; every node's RSS is sampled meanwhile. Returns the peak growth per node (bytes).
   */
  async function parallelBulk(port: number, sessions: number, bytes: number, label: string): Promise<number> {
    const pids = ACTORS.flatMap((a) => s.nodePids(a));
    const baseline = new Map(pids.map((p) => [p, rssBytes(p)]));
    const peak = new Map(baseline);
    const sample = setInterval(() => { for (const p of pids) { try { peak.set(p, Math.max(peak.get(p)!, rssBytes(p))); } catch { /* gone */ } } }, 100);
    try {
      const payloads = Array.from({ length: sessions }, (_, i) => { const b = randomBytes(bytes); b.writeUInt32BE(i, 0); return b; });
      const t0 = Date.now();
      const settled = await Promise.allSettled(payloads.map((p) => exchange(port, 'E', p, 90_000)));
      const ms = Date.now() - t0;
      const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [`${i}: ${(r.reason as Error).message}`] : r.value.equals(payloads[i]!) ? [] : [`${i}: ${r.value.length} of ${bytes} bytes, ${r.value.length === bytes ? 'different' : 'cut'}`]));
      const growth = Math.max(...pids.map((p) => peak.get(p)! - baseline.get(p)!));
      measured[label] = { sessions, MiBEach: bytes / MiB, ms, MiBps: Math.round((2 * sessions * bytes / MiB / (ms / 1000)) * 10) / 10, failures: failures.length, rssGrowthMiB: Object.fromEntries(pids.map((p) => [p, Math.round((peak.get(p)! - baseline.get(p)!) / MiB)])) };
      expect(failures.slice(0, 5), `${failures.length} of ${sessions} sessions failed`).toEqual([]);
      return growth;
    } finally {
      clearInterval(sample);
    }
  }

  /** Waits until the outlet holds no session (its per-peer cap counts the ones still closing). */
  async function outletDrained(): Promise<void> {
    await waitFor('the outlet sessions to close', async () => {
      const shown = await s.json<{ status: { sessions: number } }>('bank', ['tcp-outlet', 'show', 'outlet']);
      return shown.status.sessions === 0 ? true : undefined;
    }, { timeoutMs: 20_000, intervalMs: 250 });
  }

  it('64 and then 256 parallel bulk sessions through one inlet and the relay all complete byte for byte, in bounded node memory', async () => {
    for (const [sessions, bytes] of [[64, MiB], [256, MiB / 2]] as const) {
      await outletDrained();
      const growth = await parallelBulk(setup.inletPort, sessions, bytes, `relay${sessions}`);
      // Each session holds at most its credit window per direction in each node, whatever the data.
      expect(growth).toBeLessThan(128 * MiB);
    }
  }, 150_000);

  it('256 parallel bulk sessions through an inlet straight to the outlet node all complete byte for byte', async () => {
    const shown = await s.json<{ tcpListenerAddress: string }>('bank', ['node', 'show']);
    const direct = await freePort();
    const [host, port] = shown.tcpListenerAddress.split(':');
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${direct}`, '--to', `/ip4/${host}/tcp/${port}/service/api`, '--allow', 'subject.component == "db"']);
    await outletDrained();
    const growth = await parallelBulk(direct, 256, MiB / 2, 'direct256');
    expect(growth).toBeLessThan(128 * MiB);
    await s.ok('analysis', ['tcp-inlet', 'delete', `127.0.0.1:${direct}`]);
  }, 150_000);

  it('a 256 MiB transfer through the relay portal arrives with the same SHA-256', async () => {
    const hash = createHash('sha256');
    const t0 = Date.now();
    const answer = await exchange(setup.inletPort, 'H', (socket) => writeRandom(socket, 256 * MiB, hash), 60_000);
    const ms = Date.now() - t0;
    measured.transfer256MiBMs = ms;
    measured.transfer256MiBMiBps = Math.round((256 / (ms / 1000)) * 10) / 10;
    expect(answer.toString()).toBe(hash.digest('hex'));
  }, 70_000);

  it('a server that stops reading stalls the client after a bounded amount, and no node grows its memory past a bound', async () => {
    const pids = ACTORS.flatMap((a) => s.nodePids(a));
    expect(pids.length).toBeGreaterThanOrEqual(3);
    const baseline = new Map(pids.map((p) => [p, rssBytes(p)]));
    const peak = new Map(baseline);
    const sample = setInterval(() => { for (const p of pids) peak.set(p, Math.max(peak.get(p)!, rssBytes(p))); }, 100);
    const socket = createConnection({ host: '127.0.0.1', port: setup.inletPort });
    socket.on('error', () => undefined);
    try {
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write('S');
      const block = randomBytes(MiB);
      const deadline = Date.now() + 5_000;
      let offered = 0;
      while (Date.now() < deadline && offered < 64 * MiB) {
        if (socket.write(block)) offered += MiB;
        else {
          offered += MiB;
          await Promise.race([new Promise((r) => socket.once('drain', r)), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())))]);
        }
      }
      await new Promise((r) => setTimeout(r, 500));
      const accepted = socket.bytesWritten - socket.writableLength;
      measured.stalledClientAcceptedMiB = Math.round((accepted / MiB) * 10) / 10;
      expect(server!.stalled()).toBe(1);
      // Flow control stalls the writer: what left the client is bounded by socket buffers and one window per hop.
      expect(accepted).toBeLessThan(32 * MiB);
      for (const p of pids) expect(peak.get(p)! - baseline.get(p)!, `node pid ${p}`).toBeLessThan(64 * MiB);
    } finally {
      clearInterval(sample);
      socket.destroy();
      measured.rssMiB = Object.fromEntries(pids.map((p) => [p, { baseline: Math.round(baseline.get(p)! / MiB), peak: Math.round(peak.get(p)! / MiB) }]));
    }
  }, 30_000);
});
