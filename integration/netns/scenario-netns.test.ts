import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../support/cli.js';
import { waitFor } from '../support/scenario.js';
import { ClosedNetworks, netnsUnavailable } from './support/closed-networks.js';

const ENDPOINT = fileURLToPath(new URL('./support/endpoint.mjs', import.meta.url));
/** CI sets this (.ci/run): without namespace support the test fails instead of being skipped. */
const required = process.env.SYMBOLON_REQUIRE_NETNS === '1';
const unavailable = netnsUnavailable();

const PROJECT_PORT = 4000;
const BANK_NODE_PORT = 4100;
const DB_PORT = 5432;
const INLET_PORT = 15432;

/**
 * The README scenario across real closed networks: the project node in an "internet"
 * namespace; Bank Corp and Analysis Corp each in a namespace behind its own NAT gateway
 * that masquerades outgoing connections and drops every incoming one. Node processes run
 * inside the namespaces (`ip netns exec`), one home per site.
 */
describe.skipIf(unavailable !== undefined && !required)('the README scenario across closed networks (network namespaces, NAT, nftables)', () => {
  let lab: ClosedNetworks | undefined;
  let db: ChildProcess | undefined;
  let dbOutput = '';
  const blob = randomBytes(3 * 1024 * 1024);

  beforeAll(async () => {
    assertBuilt();
    if (unavailable !== undefined) throw new Error(`network namespaces are required (SYMBOLON_REQUIRE_NETNS=1) but unavailable: ${unavailable}`);
    lab = await ClosedNetworks.create();
    const l = lab;

    // Bank Corp's database stand-in, on its LAN (every interface of the bank host).
    const blobFile = l.writeFile('blob', blob);
    db = spawn('ip', ['netns', 'exec', l.ns.bank, process.execPath, ENDPOINT, 'serve', String(DB_PORT), blobFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    db.stdout?.on('data', (d: Buffer) => { dbOutput += d.toString(); });
    await waitFor('the bank server', () => (dbOutput.includes('listening') ? true : undefined), { timeoutMs: 15_000 });

    // Admin, on the internet: the project node listens on the public address.
    await l.ok('internet', ['project', 'create', 'bank', '--listen', `${l.publicIp}:${PROJECT_PORT}`]);
    const bankTicket = l.writeFile('bank.ticket', await l.ok('internet', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = l.writeFile('analysis.ticket', await l.ok('internet', ['project', 'ticket', '--attribute', 'component=analysis']));

    // Bank Corp: its node listens on every interface of the bank host, so the closed-network
    // check below has something to knock at; the NAT still lets nothing in.
    await l.ok('bank', ['node', 'create', 'bank-node', '--tcp-listener-address', `0.0.0.0:${BANK_NODE_PORT}`]);
    await l.ok('bank', ['project', 'enroll', bankTicket]);
    await l.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${DB_PORT}`, '--allow', 'subject.component == "analysis"']);
    await l.ok('bank', ['relay', 'create', 'postgres']);

    // Analysis Corp.
    await l.ok('analysis', ['project', 'enroll', analysisTicket]);
    await l.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${INLET_PORT}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);
  }, 300_000);

  afterAll(async () => {
    if (db && db.exitCode === null) db.kill('SIGKILL');
    await lab?.destroy();
  }, 90_000);

  it('the networks are closed: neither Analysis nor the internet can open a connection into Bank, but Bank reaches out', async () => {
    const l = lab!;
    const probe = async (site: 'analysis' | 'bank' | 'internet', host: string, port: number): Promise<string> =>
      (await l.exec(site, process.execPath, [ENDPOINT, 'probe', host, String(port), '3000'])).stdout.trim();
    // Inside the bank LAN the server and the node answer (so a refusal below is the network's doing).
    expect(await probe('bank', l.lanIp.bank, DB_PORT)).toBe('connected');
    expect(await probe('bank', l.lanIp.bank, BANK_NODE_PORT)).toBe('connected');
    // From Analysis: the bank's private address is unroutable, its gateway's public address drops everything.
    for (const [host, port] of [[l.lanIp.bank, DB_PORT], [l.lanIp.bank, BANK_NODE_PORT], [l.gatewayIp.bank, DB_PORT], [l.gatewayIp.bank, BANK_NODE_PORT]] as const) {
      expect(await probe('analysis', host, port), `analysis -> ${host}:${port}`).toMatch(/^failed /);
    }
    // The gateways drop (not refuse) what comes in from outside: a connect just times out.
    expect(await probe('analysis', l.gatewayIp.bank, BANK_NODE_PORT)).toBe('failed timeout');
    expect(await probe('internet', l.gatewayIp.bank, BANK_NODE_PORT)).toBe('failed timeout');
    expect(await probe('internet', l.gatewayIp.analysis, INLET_PORT)).toBe('failed timeout');
    // Even a neighbour on the internet that routes the bank's LAN through its gateway gets nothing in.
    await l.exec('internet', 'ip', ['route', 'add', '192.168.10.0/24', 'via', '10.77.1.2']);
    try {
      expect(await probe('internet', l.lanIp.bank, DB_PORT)).toBe('failed timeout');
    } finally {
      await l.exec('internet', 'ip', ['route', 'del', '192.168.10.0/24']);
    }
    // Both reach the project node, through their NAT.
    expect(await probe('bank', l.publicIp, PROJECT_PORT)).toBe('connected');
    expect(await probe('analysis', l.publicIp, PROJECT_PORT)).toBe('connected');
  }, 60_000);

  it('bytes cross from Bank to Analysis through the relay, SHA-256 checked both ways', async () => {
    const l = lab!;
    const result = await waitFor('a whole transfer through the inlet', async () => {
      const r = await l.exec('analysis', process.execPath, [ENDPOINT, 'fetch', '127.0.0.1', String(INLET_PORT), String(512 * 1024)], { timeoutMs: 60_000 });
      const out = JSON.parse(r.stdout.trim() || '{}') as { sha256?: string; bytes?: number; sentSha256?: string };
      return out.bytes === blob.length ? out : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    expect(result.sha256).toBe(createHash('sha256').update(blob).digest('hex'));
    await waitFor('the bank server to hash the upload', () => (dbOutput.includes(`received ${result.sentSha256} ${512 * 1024}`) ? true : undefined), { timeoutMs: 15_000 });

    // The project node saw both members arrive from their gateways' public addresses (NAT), never from a LAN.
    const shown = JSON.parse(await l.ok('internet', ['node', 'show', 'bank', '--json'])) as { connections: Array<{ direction: string; remote: string }> };
    const sources = shown.connections.filter((c) => c.direction === 'incoming').map((c) => c.remote.slice(0, c.remote.lastIndexOf(':')));
    expect(sources).toContain(l.gatewayIp.bank);
    expect(sources).toContain(l.gatewayIp.analysis);
    expect(sources.some((s) => s.startsWith('192.168.'))).toBe(false);
  }, 120_000);
});
