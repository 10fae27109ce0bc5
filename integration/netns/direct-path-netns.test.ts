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
const DB_PORT = 5432;
const INLET_PORT = 15432;

interface InletShow { path?: { path: string; peerAddress?: string; reason?: string } }
interface Connection { transport: string; direction: string; remote: string; bytesIn: number; bytesOut: number }

/**
 * `tcp-inlet create --direct` across real closed networks: Bank Corp and Analysis Corp each
 * behind its own NAT gateway (masquerade, every incoming connection dropped), the project
 * node on the internet with a UDP listener. The end-to-end channel moves from the relay onto
 * a direct UDP path through both NATs; then UDP is dropped in Bank's NAT during a long
 * transfer, which falls back to the relay and arrives whole.
 */
describe.skipIf(unavailable !== undefined && !required)('direct UDP paths through two NATs (network namespaces, nftables)', () => {
  let lab: ClosedNetworks | undefined;
  let db: ChildProcess | undefined;
  let dbOutput = '';
  const blob = randomBytes(16 * 1024 * 1024);
  const blobSha = createHash('sha256').update(blob).digest('hex');

  beforeAll(async () => {
    assertBuilt();
    if (unavailable !== undefined) throw new Error(`network namespaces are required (SYMBOLON_REQUIRE_NETNS=1) but unavailable: ${unavailable}`);
    lab = await ClosedNetworks.create();
    const l = lab;
    const blobFile = l.writeFile('blob', blob);
    db = spawn('ip', ['netns', 'exec', l.ns.bank, process.execPath, ENDPOINT, 'serve', String(DB_PORT), blobFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    db.stdout?.on('data', (d: Buffer) => { dbOutput += d.toString(); });
    await waitFor('the bank server', () => (dbOutput.includes('listening') ? true : undefined), { timeoutMs: 15_000 });

    await l.ok('internet', ['project', 'create', 'bank', '--listen', `${l.publicIp}:${PROJECT_PORT}`, '--udp-listener-address', `${l.publicIp}:${PROJECT_PORT}`]);
    const bankTicket = l.writeFile('bank.ticket', await l.ok('internet', ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    const analysisTicket = l.writeFile('analysis.ticket', await l.ok('internet', ['project', 'ticket', '--attribute', 'component=analysis']));
    await l.ok('bank', ['project', 'enroll', bankTicket]);
    await l.ok('bank', ['tcp-outlet', 'create', '--to', `127.0.0.1:${DB_PORT}`, '--allow', 'subject.component == "analysis"']);
    await l.ok('bank', ['relay', 'create', 'postgres']);
    await l.ok('analysis', ['project', 'enroll', analysisTicket]);
    await l.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${INLET_PORT}`, '--via', 'postgres', '--direct', '--allow', 'subject.component == "db"']);
  }, 300_000);

  afterAll(async () => {
    if (db && db.exitCode === null) db.kill('SIGKILL');
    await lab?.destroy();
  }, 90_000);

  const inletShow = async (): Promise<InletShow> => JSON.parse(await lab!.ok('analysis', ['tcp-inlet', 'show', `127.0.0.1:${INLET_PORT}`, '--json'])) as InletShow;

  it('the path becomes direct UDP through both NATs, and the query still works', async () => {
    const l = lab!;
    const first = await waitFor('a whole transfer through the inlet', async () => {
      const r = await l.exec('analysis', process.execPath, [ENDPOINT, 'fetch', '127.0.0.1', String(INLET_PORT), String(64 * 1024)], { timeoutMs: 60_000 });
      const out = JSON.parse(r.stdout.trim() || '{}') as { sha256?: string; bytes?: number };
      return out.bytes === blob.length ? out : undefined;
    }, { timeoutMs: 90_000, intervalMs: 1000 });
    expect(first.sha256).toBe(blobSha);
    let last: InletShow = {};
    const shown = await waitFor('the direct path', async () => {
      last = await inletShow();
      return last.path?.path === 'direct' ? last : undefined;
    }, { timeoutMs: 40_000, intervalMs: 1000 }).catch((error: Error) => {
      throw new Error(`${error.message}; the inlet says ${JSON.stringify(last.path)}`);
    });
    // The peer is Bank's NAT gateway, as the project node's rendezvous saw it.
    expect(shown.path?.peerAddress).toMatch(new RegExp(`^${l.gatewayIp.bank.replace(/\./g, '\\.')}:\\d+$`));

    const r = await l.exec('analysis', process.execPath, [ENDPOINT, 'fetch', '127.0.0.1', String(INLET_PORT), String(64 * 1024)], { timeoutMs: 60_000 });
    expect((JSON.parse(r.stdout.trim()) as { sha256: string }).sha256).toBe(blobSha);
    // The bytes went over the UDP connection between the NATs, not through the project node.
    const node = JSON.parse(await l.ok('analysis', ['node', 'show', '--json'])) as { connections: Connection[] };
    const direct = node.connections.find((c) => c.transport === 'udp' && c.remote === shown.path!.peerAddress);
    expect(direct?.bytesIn).toBeGreaterThan(blob.length);
    const status = await l.ok('analysis', ['status']);
    expect(status).toContain('(direct path)');
  }, 150_000);

  it('dropping UDP in Bank\'s NAT falls back to the relay while a long transfer continues, with the same SHA-256', async () => {
    const l = lab!;
    expect((await inletShow()).path?.path).toBe('direct');
    const client = spawn('ip', ['netns', 'exec', l.ns.analysis, process.execPath, ENDPOINT, 'slowfetch', '127.0.0.1', String(INLET_PORT), String(64 * 1024), '2048'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    client.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    const done = new Promise<number | null>((resolve) => client.once('exit', (code) => resolve(code)));
    try {
      const progress = (): number => {
        const lines = out.trim().split('\n').filter((line) => line.startsWith('{"progress"'));
        return lines.length === 0 ? 0 : (JSON.parse(lines[lines.length - 1]!) as { progress: number }).progress;
      };
      await waitFor('a quarter of the transfer', () => (progress() >= blob.length / 4 ? true : undefined), { timeoutMs: 60_000, intervalMs: 100 });
      await l.dropUdp('bank');
      const fellBack = await waitFor('the fallback to the relay', async () => {
        const i = await inletShow();
        return i.path?.path === 'relay' ? i : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500 });
      expect(fellBack.path?.reason).toMatch(/direct path lost/);
      // The transfer was still under way when the path changed.
      expect(progress()).toBeLessThan(blob.length);
      const code = await done;
      expect(code, out.trim().split('\n').slice(-2).join(' ')).toBe(0);
      const result = JSON.parse(out.trim().split('\n').filter((line) => line.includes('sha256')).pop() ?? '{}') as { sha256?: string; bytes?: number };
      expect(result.bytes).toBe(blob.length);
      expect(result.sha256).toBe(blobSha);
    } catch (error) {
      const { readFileSync, readdirSync } = await import('node:fs');
      for (const site of ['analysis', 'bank'] as const) {
        for (const n of readdirSync(`${l.homes[site]}/nodes`)) {
          const log = readFileSync(`${l.homes[site]}/nodes/${n}/node.log`, 'utf8').split('\n').filter((x) => /direct|closed|lost|reset|error|warn/i.test(x)).slice(-25);
          process.stderr.write(`--- ${site}/${n}\n${log.join('\n')}\n`);
        }
      }
      throw error;
    } finally {
      if (client.exitCode === null) client.kill('SIGKILL');
    }
  }, 150_000);
});
