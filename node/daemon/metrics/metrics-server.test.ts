import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../../core/node/node.js';
import { silentLogger } from '../../../core/logger.js';
import { TransportSet } from '../../../core/transport/transport-set.js';
import { TCP } from '../../../core/routing/address.js';
import { DecisionCounts } from '../../../policy/decision-counts.js';
import { DenialLog } from '../../../policy/denial-log.js';
import { transportKinds } from '../transports.js';
import { HandshakeCounts } from './handshake-counts.js';
import { MetricsServer } from './metrics-server.js';
import { NodeMetrics } from './node-metrics.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function get(address: string, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve() {
  const node = new Node({ name: 'n' });
  cleanups.push(() => node.stop());
  const transports = TransportSet.create(node, transportKinds);
  cleanups.push(() => transports.stop());
  await transports.get(TCP).listen('127.0.0.1:0');
  const denials = new DenialLog();
  const decisions = new DecisionCounts();
  const metrics = new NodeMetrics(node, transports, { name: 'n', handshakes: new HandshakeCounts(), denials: () => denials.counts(), decisions: () => decisions.entries(), credential: () => ({ expected: false, valid: false }) });
  metrics.enableProcessMetrics();
  const server = await MetricsServer.start('127.0.0.1:0', metrics, { logger: silentLogger });
  cleanups.push(() => server.stop());
  return { metrics, server };
}

describe('MetricsServer', () => {
  it('serves Prometheus text at /metrics, liveness at /healthz and readiness at /readyz', async () => {
    const { metrics, server } = await serve();
    const scrape = await get(server.address, '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.type).toContain('text/plain; version=0.0.4');
    expect(scrape.body).toMatch(/^# TYPE symbolon_portal_bytes_total counter$/m);
    expect(scrape.body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(await get(server.address, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    // Services have not started yet: alive, not ready.
    const starting = await get(server.address, '/readyz');
    expect(starting.status).toBe(503);
    expect(starting.body).toContain('not ready: started: starting');
    metrics.markStarted();
    const ready = await get(server.address, '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.split('\n')).toEqual(['ready', 'ok started', 'ok tcp-listener', '']);
  });

  it('answers other paths with 404 and other methods with 405, and HEAD without a body', async () => {
    const { server } = await serve();
    expect((await get(server.address, '/')).status).toBe(404);
    expect((await get(server.address, '/metrics/../admin')).status).toBe(404);
    expect((await get(server.address, '/metrics', 'POST')).status).toBe(405);
    expect(await get(server.address, '/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('fails to start on an address in use, naming it', async () => {
    const { server, metrics } = await serve();
    await expect(MetricsServer.start(server.address, metrics, { logger: silentLogger })).rejects.toThrow(`cannot serve metrics on ${server.address}`);
  });
});
