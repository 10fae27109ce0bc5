import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from './support/cli.js';
import { freePort } from './support/free-port.js';

/** A server answering each connection with the SHA-256 (hex) of everything it received; counts the bytes it saw. */
async function hashServer(): Promise<{ server: Server; port: number; received: () => number }> {
  let received = 0;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    socket.on('data', (d: Buffer) => { received += d.length; hash.update(d); });
    socket.on('end', () => socket.end(hash.digest('hex')));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, received: () => received };
}

/** Sends `data` through 127.0.0.1:`port`, half-closes, and resolves with the whole answer ('' when the connection was closed without one). */
function roundTrip(port: number, data: Buffer, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer through port ${port}`)); }, timeoutMs);
    socket.on('connect', () => socket.end(data));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => undefined);
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('utf8')); });
  });
}

/** Retries `roundTrip` until it answers `expected` or `deadlineMs` passes. */
async function eventually(port: number, data: Buffer, expected: string, deadlineMs = 20_000): Promise<string> {
  const until = Date.now() + deadlineMs;
  let last = '';
  while (Date.now() < until) {
    last = await roundTrip(port, data).catch(() => '');
    if (last === expected) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  return last;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function ok(home: string, args: string[]): Promise<string> {
  const r = await runCli(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('secure channels and portals between two nodes of one home', () => {
  const home = tempHome('sym-portal-');
  let target: Awaited<ReturnType<typeof hashServer>>;

  beforeAll(async () => {
    assertBuilt();
    target = await hashServer();
    await Promise.all([ok(home, ['node', 'create', 'n1']), ok(home, ['node', 'create', 'n2'])]);
    // No project here: n2's listener accepts n1 only because a policy says so.
    await ok(home, ['policy', 'create', '--at', 'n2', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    // Nor does n1 hold a credential for n2's echo: a policy opens it.
    await ok(home, ['policy', 'create', '--at', 'n2', '--resource', 'echo', '--expression', 'true']);
  });
  afterAll(async () => {
    await cleanupHome(home);
    await new Promise((r) => target.server.close(r));
  });

  it('opens a secure channel, routes a message through it, lists and deletes it', async () => {
    const address = (await ok(home, ['secure-channel', 'create', '--from', 'n1', '--to', '/node/n2/service/api'])).trim();
    expect(address).toMatch(/^sc-[0-9a-f]{16}$/);
    const sent = await runCli(home, ['message', 'send', '--from', 'n1', '--to', `/secure/${address}/service/echo`, 'through the channel']);
    expect([sent.code, sent.stdout]).toEqual([0, 'through the channel\n']);
    const at2 = (await runCliJson(home, ['secure-channel', 'list', '--at', 'n2'])).json as { channels: Array<{ role: string }> };
    expect(at2.channels.some((c) => c.role === 'responder')).toBe(true);
    expect((await runCli(home, ['secure-channel', 'delete', address, '--at', 'n1'])).code).toBe(0);
    const gone = await runCli(home, ['message', 'send', '--from', 'n1', '--to', `/secure/${address}/service/echo`, '--timeout', '500ms', 'x']);
    expect(gone.code).not.toBe(0);
  });

  it('refuses a channel to a node whose listener policy denies it', async () => {
    await ok(home, ['policy', 'create', '--at', 'n2', '--resource-type', 'secure-channel-listener', '--expression', 'subject.component == "x"']);
    try {
      const r = await runCli(home, ['secure-channel', 'create', '--from', 'n1', '--to', '/node/n2/service/api']);
      expect(r.code).not.toBe(0);
      const denials = (await runCliJson(home, ['policy', 'denials', '--at', 'n2'])).json as { denials: Array<{ resource: { type: string } }> };
      expect(denials.denials.some((d) => d.resource.type === 'secure-channel-listener')).toBe(true);
    } finally {
      await ok(home, ['policy', 'create', '--at', 'n2', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    }
  });

  it('carries TCP through an inlet and an outlet over a secure channel, and again after both nodes restart', async () => {
    const inletPort = await freePort();
    await ok(home, ['tcp-outlet', 'create', '--at', 'n2', '--to', `127.0.0.1:${target.port}`, '--allow', 'subject.identifier != ""']);
    await ok(home, ['tcp-inlet', 'create', '--at', 'n1', '--from', `127.0.0.1:${inletPort}`, '--to', '/node/n2/service/api', '--allow', 'subject.identifier != ""']);
    const data = Buffer.alloc(300_000, 7);
    expect(await roundTrip(inletPort, data)).toBe(sha(data));
    const shown = (await runCliJson(home, ['tcp-inlet', 'show', `127.0.0.1:${inletPort}`, '--at', 'n1'])).json as { status: { connected: boolean } };
    expect(shown.status.connected).toBe(true);

    await ok(home, ['node', 'stop', 'n2']);
    await ok(home, ['node', 'start', 'n2']);
    await ok(home, ['node', 'stop', 'n1']);
    await ok(home, ['node', 'start', 'n1']);
    expect(await eventually(inletPort, Buffer.from('after restart'), sha(Buffer.from('after restart')))).toBe(sha(Buffer.from('after restart')));
    await ok(home, ['tcp-inlet', 'delete', `127.0.0.1:${inletPort}`, '--at', 'n1']);
    await ok(home, ['tcp-outlet', 'delete', '--at', 'n2']);
  }, 60_000);

  it('closes the client connection when the outlet policy does not match; the server receives nothing', async () => {
    const inletPort = await freePort();
    await ok(home, ['tcp-outlet', 'create', '--at', 'n2', '--from', 'guarded', '--to', `127.0.0.1:${target.port}`, '--allow', 'subject.component == "analysis"']);
    await ok(home, ['tcp-inlet', 'create', '--at', 'n1', '--from', `127.0.0.1:${inletPort}`, '--to', '/node/n2/service/api', '--outlet', 'guarded', '--allow', 'true']);
    const before = target.received();
    expect(await roundTrip(inletPort, Buffer.from('secret query'))).toBe('');
    expect(target.received()).toBe(before);
    const denials = (await runCliJson(home, ['policy', 'denials', '--at', 'n2'])).json as { denials: Array<{ resource: { type: string; name: string } }> };
    expect(denials.denials.some((d) => d.resource.type === 'tcp-outlet' && d.resource.name === 'guarded')).toBe(true);
  }, 60_000);
});

describe('the Bank Corp / Analysis Corp scenario (three homes, a relay)', () => {
  const root = tempHome('sym-scenario-');
  const homes = { admin: join(root, 'admin'), bank: join(root, 'bank'), analysis: join(root, 'analysis') };
  let target: Awaited<ReturnType<typeof hashServer>>;
  let inletPort = 0;

  beforeAll(async () => {
    assertBuilt();
    target = await hashServer();
    inletPort = await freePort();
    const projectPort = await freePort();
    await ok(homes.admin, ['project', 'create', 'bank', '--listen', `127.0.0.1:${projectPort}`]);
    writeFileSync(join(root, 'bank.ticket'), await ok(homes.admin, ['project', 'ticket', '--attribute', 'component=db', '--relay', 'postgres']));
    writeFileSync(join(root, 'analysis.ticket'), await ok(homes.admin, ['project', 'ticket', '--attribute', 'component=analysis']));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(Object.values(homes).map((h) => cleanupHome(h)));
    await cleanupHome(root);
    await new Promise((r) => target.server.close(r));
  });

  it('runs the commands of design section 1 and carries data end to end; recovers after the project node restarts', async () => {
    await ok(homes.bank, ['project', 'enroll', join(root, 'bank.ticket')]);
    await ok(homes.bank, ['tcp-outlet', 'create', '--to', `127.0.0.1:${target.port}`, '--allow', 'subject.component == "analysis"']);
    await ok(homes.bank, ['relay', 'create', 'postgres']);
    await ok(homes.analysis, ['project', 'enroll', join(root, 'analysis.ticket')]);
    await ok(homes.analysis, ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--via', 'postgres', '--allow', 'subject.component == "db"']);

    const data = Buffer.alloc(200_000, 3);
    expect(await roundTrip(inletPort, data)).toBe(sha(data));
    const relay = (await runCliJson(homes.bank, ['relay', 'show', 'postgres'])).json as { status: { connected: boolean } };
    expect(relay.status.connected).toBe(true);
    const channels = (await runCliJson(homes.analysis, ['secure-channel', 'list'])).json as { channels: Array<{ role: string }> };
    expect(channels.channels.filter((c) => c.role === 'initiator').length).toBeGreaterThanOrEqual(2);

    await ok(homes.admin, ['node', 'stop', 'bank']);
    await ok(homes.admin, ['node', 'start', 'bank']);
    const again = Buffer.from('select 1 after the restart');
    expect(await eventually(inletPort, again, sha(again), 30_000)).toBe(sha(again));
  }, 90_000);

  it('closes the client connection when the inlet policy rejects the outlet node; the server receives nothing', async () => {
    const port = await freePort();
    await ok(homes.analysis, ['tcp-inlet', 'create', '--from', `127.0.0.1:${port}`, '--via', 'postgres', '--allow', 'subject.component == "other"']);
    const before = target.received();
    expect(await roundTrip(port, Buffer.from('never sent'))).toBe('');
    expect(target.received()).toBe(before);
    const denials = (await runCliJson(homes.analysis, ['policy', 'denials'])).json as { denials: Array<{ resource: { type: string } }> };
    expect(denials.denials.some((d) => d.resource.type === 'tcp-inlet')).toBe(true);
  }, 60_000);

  it('a relay policy on the project node decides create: it refuses the admin (allowed by default) and admits a member the default refuses; refusals are in policy denials', async () => {
    // The project node of home `admin` is node `bank`.
    await ok(homes.admin, ['policy', 'create', '--at', 'bank', '--resource', 'audit-relay', '--expression', 'subject.component == "analysis"']);
    const refused = await runCli(homes.admin, ['relay', 'create', 'audit-relay']);
    expect(refused.code).toBe(4);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/project refused relay 'audit-relay'/);
    expect((await runCli(homes.admin, ['relay', 'show', 'audit-relay'])).code).toBe(3);
    const admin = (await runCliJson(homes.admin, ['identity', 'show'])).json as { identifier: string };
    type Denial = { resource: { type: string; name: string }; action: string; subject?: string; reason: string };
    const denials = (await runCliJson(homes.admin, ['policy', 'denials', '--at', 'bank'])).json as { denials: Denial[] };
    const denial = denials.denials.find((d) => d.resource.type === 'relay' && d.resource.name === 'audit-relay' && d.action === 'create');
    expect(denial, JSON.stringify(denials.denials)).toBeDefined();
    expect(denial!.reason).toContain('policy');
    expect(denial!.subject).toBe(admin.identifier);

    // analysis has no `relay` attribute, so the default rule refuses it, and that refusal is recorded too ...
    expect((await runCli(homes.analysis, ['relay', 'create', 'reports'])).code).toBe(4);
    const byDefault = (await runCliJson(homes.admin, ['policy', 'denials', '--at', 'bank'])).json as { denials: Denial[] };
    expect(byDefault.denials.find((d) => d.resource.name === 'reports' && d.action === 'create')?.reason).toContain('default relay rule');
    // ... while the policy for audit-relay admits it.
    await ok(homes.analysis, ['relay', 'create', 'audit-relay']);
    const admitted = (await runCliJson(homes.analysis, ['relay', 'show', 'audit-relay'])).json as { status: { connected: boolean } };
    expect(admitted.status.connected).toBe(true);
  }, 60_000);

  it('a node that takes over the project address cannot terminate a member\'s channels: the handshake is refused', async () => {
    const impostorHome = join(root, 'impostor');
    const impostorPort = await freePort();
    await ok(impostorHome, ['node', 'create', 'fake', '--tcp-listener-address', `127.0.0.1:${impostorPort}`]);
    // The impostor admits anyone, so only the member's own check can refuse.
    await ok(impostorHome, ['policy', 'create', '--at', 'fake', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    const impostorRoute = `/ip4/127.0.0.1/tcp/${impostorPort}`;
    // An explicit (unpinned) channel to it works: the listener does answer.
    const plain = (await runCliJson(homes.analysis, ['secure-channel', 'create', '--to', `${impostorRoute}/service/api`])).json as { address: string; peer: string };
    await ok(homes.analysis, ['secure-channel', 'delete', plain.address]);

    const recordFile = join(homes.analysis, 'projects', 'bank.json');
    const original = readFileSync(recordFile, 'utf8');
    try {
      // The project's address now leads to the impostor.
      writeFileSync(recordFile, JSON.stringify({ ...JSON.parse(original), route: impostorRoute }, null, 2));
      await ok(homes.analysis, ['relay', 'create', 'hijacked']);
      const relay = (await runCliJson(homes.analysis, ['relay', 'show', 'hijacked'])).json as { status: { connected: boolean; lastError?: string } };
      expect(relay.status.connected).toBe(false);
      const port = await freePort();
      await ok(homes.analysis, ['tcp-inlet', 'create', '--from', `127.0.0.1:${port}`, '--via', 'postgres']);
      expect(await roundTrip(port, Buffer.from('must not reach the impostor'))).toBe('');
      const mine = (await runCliJson(homes.analysis, ['secure-channel', 'list'])).json as { channels: Array<{ peer: string }> };
      expect(mine.channels.some((c) => c.peer === plain.peer)).toBe(false);
      const theirs = (await runCliJson(impostorHome, ['secure-channel', 'list', '--at', 'fake'])).json as { channels: unknown[] };
      expect(theirs.channels).toEqual([]);
      await ok(homes.analysis, ['relay', 'delete', 'hijacked']);
    } finally {
      writeFileSync(recordFile, original);
      await cleanupHome(impostorHome);
    }
  }, 60_000);
});
