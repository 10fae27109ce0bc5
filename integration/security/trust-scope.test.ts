import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { assertBuilt, cleanupHome, runCli, runCliJson, tempHome } from '../support/cli.js';
import { freePort } from '../support/free-port.js';

/**
 * Trust crosses projects (issue 11, item 3): Bank's home belongs to project `bank` (its
 * outlet admits `subject.component == "analysis"`) and also to a second project `other`,
 * whose admin mints `component=analysis` for its own member, mallory. Mallory, who is no
 * member of `bank`, must not pass Bank's outlet, nor Bank's listener.
 */

/** A server answering each connection with the SHA-256 (hex) of what it received; counts the bytes. */
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

/** Sends `data` through 127.0.0.1:`port`, half-closes, resolves with the answer ('' when closed without one). */
function roundTrip(port: number, data: Buffer, timeoutMs = 15_000): Promise<string> {
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

async function ok(home: string, args: string[]): Promise<string> {
  const r = await runCli(home, args, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

async function json<T>(home: string, args: string[]): Promise<T> {
  const r = await runCliJson(home, args);
  if (r.code !== 0) throw new Error(`symbolon ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.json as T;
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

type Denial = { resource: { type: string; name: string }; action: string; subject?: string; reason: string };

describe('trust is scoped to the authority of the node\'s own project', () => {
  const root = tempHome('sym-trust-');
  const homes = { adminA: join(root, 'admin-a'), adminB: join(root, 'admin-b'), bank: join(root, 'bank'), mallory: join(root, 'mallory') };
  let target: Awaited<ReturnType<typeof hashServer>>;
  let bankNodeRoute = '';
  let malloryId = '';

  beforeAll(async () => {
    assertBuilt();
    for (const home of Object.values(homes)) mkdirSync(home, { recursive: true, mode: 0o700 });
    target = await hashServer();
    const [portA, portB] = [await freePort(), await freePort()];
    await Promise.all([
      ok(homes.adminA, ['project', 'create', 'bank', '--listen', `127.0.0.1:${portA}`]),
      ok(homes.adminB, ['project', 'create', 'other', '--listen', `127.0.0.1:${portB}`]),
    ]);
    writeFileSync(join(root, 'bank.ticket'), await ok(homes.adminA, ['project', 'ticket', '--attribute', 'component=db']));
    writeFileSync(join(root, 'bank-in-other.ticket'), await ok(homes.adminB, ['project', 'ticket', '--attribute', 'component=db']));
    // Project `other`'s admin mints the attribute Bank's outlet asks for.
    writeFileSync(join(root, 'mallory.ticket'), await ok(homes.adminB, ['project', 'ticket', '--attribute', 'component=analysis']));

    await ok(homes.bank, ['project', 'enroll', join(root, 'bank.ticket')]);
    await ok(homes.bank, ['tcp-outlet', 'create', '--to', `127.0.0.1:${target.port}`, '--allow', 'subject.component == "analysis"']);
    // The same home joins the second project with another node.
    await ok(homes.bank, ['project', 'enroll', join(root, 'bank-in-other.ticket'), '--node', 'side']);
    // Bank's machine restarts: every node reads the home's projects again.
    await ok(homes.bank, ['node', 'stop', 'default']);
    await ok(homes.bank, ['node', 'start', 'default']);
    const bankNode = await json<{ tcpListenerAddress: string }>(homes.bank, ['node', 'show']);
    bankNodeRoute = `/ip4/${bankNode.tcpListenerAddress.replace(':', '/tcp/')}/service/api`;

    const enrolled = await json<{ identifier: string; attributes: Record<string, string> }>(homes.mallory, ['project', 'enroll', join(root, 'mallory.ticket')]);
    expect(enrolled.attributes).toEqual({ component: 'analysis' });
    malloryId = enrolled.identifier;
  }, 180_000);

  afterAll(async () => {
    await Promise.all(Object.values(homes).map((h) => cleanupHome(h)));
    await cleanupHome(root);
    await new Promise((r) => target.server.close(r));
  });

  it('a member of the other project with component=analysis reaches neither Bank\'s listener nor its outlet', async () => {
    const inletPort = await freePort();
    await ok(homes.mallory, ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--to', bankNodeRoute, '--allow', 'true']);
    const before = target.received();
    const data = Buffer.from('select * from accounts');
    const answer = await roundTrip(inletPort, data);
    expect(answer, 'the attack got through Bank\'s outlet').not.toBe(sha(data));
    expect(answer).toBe('');
    expect(target.received()).toBe(before);

    // A direct secure channel is refused at Bank's listener: `other`'s authority vouches for nothing there.
    const channel = await runCli(homes.mallory, ['secure-channel', 'create', '--to', bankNodeRoute]);
    expect(channel.code).not.toBe(0);
    const { denials } = await json<{ denials: Denial[] }>(homes.bank, ['policy', 'denials', '--limit', '100']);
    const refused = denials.find((d) => d.subject === malloryId && d.resource.type === 'secure-channel-listener');
    expect(refused, JSON.stringify(denials)).toBeDefined();
    expect(refused!.action).toBe('handshake');
  }, 90_000);

  it('behind an open listener the outlet still refuses; trusting the other project explicitly exposes its attributes only to a policy that names it', async () => {
    const inletPort = await freePort();
    await ok(homes.mallory, ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--to', bankNodeRoute, '--allow', 'true']);
    await ok(homes.bank, ['policy', 'create', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    const data = Buffer.from('select * from accounts');
    const outletDenial = async (): Promise<Denial | undefined> => {
      const { denials } = await json<{ denials: Denial[] }>(homes.bank, ['policy', 'denials', '--limit', '100']);
      return denials.find((d) => d.subject === malloryId && d.resource.type === 'tcp-outlet');
    };
    expect(await roundTrip(inletPort, data)).toBe('');
    expect((await outletDenial())?.reason).toMatch(/component/);

    // Bank's operator trusts project `other` on its node (node config `security.trust`).
    await ok(homes.bank, ['node', 'stop', 'default']);
    const configFile = join(homes.bank, 'nodes', 'default', 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as { sections: Record<string, Record<string, unknown> | undefined> };
    config.sections.security = { ...(config.sections.security ?? {}), trust: ['other'] };
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    await ok(homes.bank, ['node', 'start', 'default']);
    // The node listens on a new port after its restart: point the inlet at it.
    const restarted = await json<{ tcpListenerAddress: string }>(homes.bank, ['node', 'show']);
    await ok(homes.mallory, ['tcp-inlet', 'delete', `127.0.0.1:${inletPort}`]);
    await ok(homes.mallory, ['tcp-inlet', 'create', '--from', `127.0.0.1:${inletPort}`, '--to', `/ip4/${restarted.tcpListenerAddress.replace(':', '/tcp/')}/service/api`, '--allow', 'true']);

    // The outlet's policy does not name the project: `other`'s attributes stay invisible to it.
    expect(await roundTrip(inletPort, data)).toBe('');
    expect((await outletDenial())?.reason).toMatch(/from project other, not this node's own/);

    // A policy that names the project admits `other`'s analysis member; subject.project comes from the verified issuer.
    await ok(homes.bank, ['tcp-outlet', 'delete', 'outlet']);
    await ok(homes.bank, ['tcp-outlet', 'create', '--to', `127.0.0.1:${target.port}`, '--allow', 'subject.project == "other" && subject.component == "analysis"']);
    expect(await roundTrip(inletPort, data)).toBe(sha(data));
  }, 120_000);

  it('a node that already belongs to a project does not join a second one (its credentials stay apart)', async () => {
    writeFileSync(join(root, 'second.ticket'), await ok(homes.adminB, ['project', 'ticket', '--attribute', 'component=db']));
    const again = await runCli(homes.bank, ['project', 'enroll', join(root, 'second.ticket')]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already belongs to project 'bank'/);
    const projects = await json<{ projects: Array<{ name: string; node?: string }> }>(homes.bank, ['project', 'list']);
    expect(projects.projects.map((p) => [p.name, p.node]).sort()).toEqual([['bank', 'default'], ['other', 'side']]);
  }, 60_000);
});
