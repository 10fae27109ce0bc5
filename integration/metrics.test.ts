import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { assertBuilt } from './support/cli.js';
import { freePort, Scenario, waitFor, type Actor } from './support/scenario.js';

/** GET http://ADDRESS/PATH: status and body. */
function get(address: string, path: string): Promise<{ status: number; body: string }> {
  const cut = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const req = request({ host: address.slice(0, cut), port: Number(address.slice(cut + 1)), path, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The value of series `name{labels}` in Prometheus text, undefined when absent. */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = m[2] ? m[2].split(',') : [];
    if (have.length === want.length && want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return undefined;
}

/** An echo server: what a client sends comes back. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => { socket.on('error', () => undefined); socket.pipe(socket); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Writes `size` bytes on `socket` and waits until as many came back. */
function echoRound(socket: Socket, size: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let back = 0;
    const onData = (d: Buffer): void => {
      back += d.length;
      if (back >= size) { socket.off('data', onData); resolve(); }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(Buffer.alloc(size, 7));
  });
}

describe('metrics and health endpoints of real nodes', () => {
  const s = Scenario.create({ prefix: 'sym-metrics-' });
  let echo: Awaited<ReturnType<typeof echoServer>>;
  let inletPort = 0;
  const metricsOf = async (actor: Actor, node: string): Promise<string> => {
    const shown = await s.json<{ metrics: string | null }>(actor, ['node', 'show', node]);
    if (shown.metrics === null) throw new Error(`node ${node} serves no metrics`);
    return shown.metrics;
  };

  beforeAll(async () => {
    assertBuilt();
    echo = await echoServer();
    const projectPort = await freePort();
    inletPort = await freePort();
    await s.ok('admin', ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`, '--metrics', '127.0.0.1:0']);
    const bankTicket = (await s.ok('admin', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres'])).trim();
    const analysisTicket = (await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis'])).trim();
    await s.ok('bank', ['node', 'create', 'db', '--metrics', '127.0.0.1:0']);
    await s.ok('bank', ['project', 'enroll', s.writeFile('bank.ticket', `${bankTicket}\n`)]);
    await s.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${echo.port}`, '--allow', 'subject.component == "analysis"']);
    await s.ok('bank', ['relay', 'create', 'postgres']);
    await s.ok('analysis', ['node', 'create', 'client', '--metrics', '127.0.0.1:0']);
    await s.ok('analysis', ['project', 'enroll', s.writeFile('analysis.ticket', `${analysisTicket}\n`)]);
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
  }, 180_000);

  afterAll(async () => {
    await s.cleanup();
    await new Promise<void>((resolve) => echo?.server.close(() => resolve()) ?? resolve());
  }, 60_000);

  it('refuses a metrics address beyond loopback without --metrics-allow-remote', async () => {
    const r = await s.run('analysis', ['node', 'create', 'open', '--metrics', '0.0.0.0:0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--metrics-allow-remote');
    expect((await s.json<{ nodes: Array<{ name: string }> }>('analysis', ['node', 'list'])).nodes.map((n) => n.name)).not.toContain('open');
  });

  it('moves the byte counters of the inlet and the outlet during a portal transfer', async () => {
    const analysis = await metricsOf('analysis', 'client');
    const bank = await metricsOf('bank', 'db');
    const inlet = { portal: 'inlet', address: `127.0.0.1:${inletPort}` };
    const socket = await waitFor('a portal session', () => new Promise<Socket | undefined>((resolve) => {
      const c = connect({ host: '127.0.0.1', port: inletPort });
      c.once('error', () => resolve(undefined));
      c.once('connect', () => {
        echoRound(c, 1024).then(() => resolve(c), () => { c.destroy(); resolve(undefined); });
        setTimeout(() => { c.destroy(); resolve(undefined); }, 5_000).unref();
      });
    }), { timeoutMs: 30_000 });
    try {
      await echoRound(socket, 256 * 1024);
      const first = (await get(analysis, '/metrics')).body;
      const sentFirst = value(first, 'symbolon_portal_bytes_total', { ...inlet, direction: 'sent' })!;
      expect(sentFirst).toBeGreaterThanOrEqual(1024 + 256 * 1024);
      expect(value(first, 'symbolon_portal_sessions_open', inlet)).toBeGreaterThanOrEqual(1);
      const outletFirst = value((await get(bank, '/metrics')).body, 'symbolon_portal_bytes_total', { portal: 'outlet', address: 'outlet', direction: 'received' })!;
      expect(outletFirst).toBeGreaterThanOrEqual(1024 + 256 * 1024);

      // The same session, still open, moves more: the counters follow.
      await echoRound(socket, 512 * 1024);
      const second = (await get(analysis, '/metrics')).body;
      expect(value(second, 'symbolon_portal_bytes_total', { ...inlet, direction: 'sent' })).toBeGreaterThanOrEqual(sentFirst + 512 * 1024);
      expect(value(second, 'symbolon_portal_bytes_total', { ...inlet, direction: 'received' })).toBeGreaterThanOrEqual(sentFirst + 512 * 1024);
      expect(value((await get(bank, '/metrics')).body, 'symbolon_portal_bytes_total', { portal: 'outlet', address: 'outlet', direction: 'received' }))
        .toBeGreaterThanOrEqual(outletFirst + 512 * 1024);
      expect(value(second, 'symbolon_secure_channels_open', { role: 'initiator' })).toBeGreaterThanOrEqual(2);
      expect(value(second, 'symbolon_credential_valid')).toBe(1);
      expect(value(second, 'symbolon_policy_decisions_total', { resource_type: 'tcp-inlet', decision: 'allowed' })).toBeGreaterThanOrEqual(1);
      expect(value((await get(bank, '/metrics')).body, 'symbolon_policy_decisions_total', { resource_type: 'tcp-outlet', decision: 'allowed' })).toBeGreaterThanOrEqual(1);
      expect(value(second, 'symbolon_credential_expires_in_seconds')).toBeGreaterThan(0);
      // No identifier in any label value.
      expect(second).not.toMatch(/="I[0-9a-f]{16,}/);
    } finally {
      socket.destroy();
    }
  });

  it('exports the project node authority and relay metrics', async () => {
    const text = (await get(await metricsOf('admin', 'bank'), '/metrics')).body;
    expect(value(text, 'symbolon_authority_tickets_created_total')).toBe(2);
    expect(value(text, 'symbolon_authority_enrollments_total')).toBe(2);
    expect(value(text, 'symbolon_authority_credentials_issued_total')).toBeGreaterThanOrEqual(3);
    expect(value(text, 'symbolon_authority_audit_head_sequence')).toBeGreaterThan(0);
    expect(value(text, 'symbolon_relays_held')).toBe(1);
    expect(value(text, 'symbolon_secure_channels_open', { role: 'responder' })).toBeGreaterThanOrEqual(2);
  });

  it('goes unready while the project node is down and ready again when it is back', async () => {
    const bank = await metricsOf('bank', 'db');
    await waitFor('bank ready', async () => ((await get(bank, '/readyz')).status === 200 ? true : undefined), { timeoutMs: 30_000 });
    expect((await get(bank, '/healthz')).status).toBe(200);

    await s.ok('admin', ['node', 'stop', 'bank']);
    const down = await waitFor('bank unready', async () => {
      const r = await get(bank, '/readyz');
      return r.status === 503 ? r.body : undefined;
    }, { timeoutMs: 30_000 });
    expect(down).toContain('not ready: relay postgres: not registered');
    expect(value((await get(bank, '/metrics')).body, 'symbolon_relay_registered', { relay: 'postgres' })).toBe(0);
    // Alive all the while.
    expect((await get(bank, '/healthz')).status).toBe(200);

    await s.ok('admin', ['node', 'start', 'bank']);
    await waitFor('bank ready again', async () => ((await get(bank, '/readyz')).status === 200 ? true : undefined), { timeoutMs: 40_000 });
    const back = (await get(bank, '/metrics')).body;
    expect(value(back, 'symbolon_relay_registered', { relay: 'postgres' })).toBe(1);
    expect(value(back, 'symbolon_relay_reconnects_total', { relay: 'postgres' })).toBeGreaterThanOrEqual(1);
    // The restarted project node serves its metrics again, from its persisted configuration.
    expect((await get(await metricsOf('admin', 'bank'), '/readyz')).status).toBe(200);
  }, 120_000);
});
