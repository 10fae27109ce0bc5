import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandshakeError } from '../../core/channel/peer-verification.js';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import { Scenario, setUpScenario, type ScenarioSetup } from '../support/scenario.js';
import { assertBuilt } from '../support/cli.js';
import { roundTrip, sha256, startCanary, startHashServer, type Canary } from './support/canary.js';
import { Outsider } from './support/outsider.js';
import { WireClient, local, sleep, tcp } from './support/wire-client.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * The routing trust boundary (docs/threat-model.md, "Routing"): a message from outside a
 * node leaves it only through a worker that means to forward it. Each attack runs against
 * the README scenario (project node, Bank Corp with outlet and relay, Analysis Corp with
 * an inlet), as real processes started by the real CLI.
 */
describe('routing trust boundary', () => {
  const s = Scenario.create({ prefix: 'sym-sec-route-' });
  let setup: ScenarioSetup;
  let db: Awaited<ReturnType<typeof startHashServer>>;
  let inside: Canary;
  let outsider: Outsider;
  let channel: SecureChannel;
  let project: string;

  beforeAll(async () => {
    assertBuilt();
    db = await startHashServer();
    inside = await startCanary();
    setup = await setUpScenario(s, { target: db.hostPort });
    project = `127.0.0.1:${setup.projectPort}`;
    outsider = await Outsider.start();
    // The project listener admits every authenticated peer (enrollees hold no credential yet).
    channel = await outsider.channelTo(Outsider.api(project));
  }, 120_000);
  afterAll(async () => {
    await outsider?.stop();
    await s.cleanup();
    await Promise.all([db?.close(), inside?.close()]);
  });

  it('a brand-new identity cannot make the project node dial a TCP address (no SSRF)', async () => {
    const before = inside.connections;
    outsider.actor.node.send([local(channel.address), tcp(inside.hostPort), local('anything')], text('GET / HTTP/1.0\r\n\r\n'));
    await sleep(1_500);
    expect(inside.connections - before).toBe(0);
  });

  it("a member cannot make Bank's node dial inside Bank's network through the relay", async () => {
    const sc = (await s.ok('analysis', ['secure-channel', 'create', '--to', `/ip4/127.0.0.1/tcp/${setup.projectPort}/service/api`])).trim();
    const before = inside.connections;
    const r = await s.run('analysis', ['message', 'send', '--to', `/secure/${sc}/service/forward_to_postgres/ip4/127.0.0.1/tcp/${inside.port}/service/x`, '--timeout', '1500ms', 'payload']);
    expect(r.code).not.toBe(0);
    await sleep(500);
    expect(inside.connections - before).toBe(0);
  });

  it('a client without identity reaches no connection worker of the project node (and no member through it)', async () => {
    const client = await WireClient.connect(project);
    try {
      for (let i = 1; i <= 64; i++) client.send([local(`tcp-conn-${i}`), local('echo')], text(`probe ${i}`));
      await sleep(1_500);
      expect(client.received.map((m) => new TextDecoder().decode(m.payload))).toEqual([]);
    } finally {
      client.close();
    }
  });

  it("an outsider's channel reaches no member's listener through the project node's connections", async () => {
    const attempts = await Promise.all(Array.from({ length: 24 }, async (_, i) => {
      try {
        const c = await outsider.channelTo([local(channel.address), local(`tcp-conn-${i + 1}`), local('api')], 3_000);
        await c.close();
        return 'open';
      } catch (error) {
        return error instanceof HandshakeError ? error.stage : 'error';
      }
    }));
    // `timeout` means nothing answered; any other outcome means a listener was reached.
    expect(attempts.filter((a) => a !== 'timeout')).toEqual([]);
  });

  it('connection workers have unguessable addresses', async () => {
    const info = await s.json<{ connections: Array<{ workerAddress: string }> }>('admin', ['node', 'show', setup.projectNode]);
    expect(info.connections.length).toBeGreaterThan(0);
    for (const c of info.connections) expect(c.workerAddress).toMatch(/^tcp-conn\.[0-9a-f]{16}$/);
  });

  it('echo answers local callers and project members only, not bare TCP or outsiders', async () => {
    const client = await WireClient.connect(project);
    try {
      client.send([local('echo')], text('bare'));
      const viaChannel = await outsider.ask([local(channel.address), local('echo')], text('outsider'));
      await sleep(500);
      expect(client.received).toEqual([]);
      expect(viaChannel).toBeUndefined();
    } finally {
      client.close();
    }
    const sc = (await s.ok('analysis', ['secure-channel', 'create', '--to', `/ip4/127.0.0.1/tcp/${setup.projectPort}/service/api`])).trim();
    expect(await s.ok('analysis', ['message', 'send', '--to', `/secure/${sc}/service/echo`, 'member'])).toBe('member\n');
    expect(await s.ok('bank', ['message', 'send', '--to', '/service/echo', 'local'])).toBe('local\n');
  });

  it('the portal through the relay still carries data', async () => {
    const data = Buffer.alloc(100_000, 5);
    expect(await roundTrip(setup.inletPort, data)).toBe(await sha256(data));
  });
});
