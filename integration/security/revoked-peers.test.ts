import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callControl } from '../../core/api/control-client.js';
import { assertBuilt } from '../support/cli.js';
import { freePort, Scenario, setUpScenario, waitFor, type Actor, type ScenarioSetup } from '../support/scenario.js';
import { roundTrip, sha256, startHashServer } from './support/canary.js';

const PROBE = Buffer.from('select 1');

/**
 * Attack: member nodes whose policies need no credential (a listener that admits `true`,
 * an outlet and an inlet pinned to an identifier, as the threat model suggests against a
 * compromised authority) kept admitting identities the project had suspended or removed:
 * the revocation list only took their credentials away, and these policies never asked
 * for one. Now every secure-channel listener, outlet and inlet of a node refuses a peer
 * that an authority it trusts lists as revoked, whatever the policy says, within the
 * revocation latency (10 s); a member let back in (resume, or re-added after a removal) is
 * admitted again. Real
 * processes: the README scenario plus a direct inlet from Analysis Corp to Bank Corp's
 * listener (no relay, so the project node's relay rule plays no part).
 */
describe('revoked identities are refused at listeners, outlets and inlets whatever the policy says', () => {
  const s = Scenario.create({ prefix: 'sym-sec-revoked-' });
  let db: Awaited<ReturnType<typeof startHashServer>>;
  let setup: ScenarioSetup;
  let direct: number;
  const ids = {} as Record<Actor, string>;

  const works = async (): Promise<boolean> => (await roundTrip(direct, PROBE, 8_000)) === (await sha256(PROBE));
  /** Polls until the direct inlet works (`want` true) or is refused (`want` false); throws after `ms`. */
  const until = (want: boolean, what: string, ms = 12_000): Promise<number> =>
    waitFor(what, async () => ((await works()) === want ? Date.now() : undefined), { timeoutMs: ms, intervalMs: 300 });
  /** Fails if the direct inlet works even once within `ms`. */
  const staysRefused = async (ms: number): Promise<void> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      expect(await works()).toBe(false);
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  const denials = async (actor: Actor, node: string): Promise<Array<{ resource: { type: string }; reason: string }>> =>
    (await callControl({ path: join(s.homes[actor], 'nodes', node, 'control.sock'), name: node }, 'policy.denials', {}) as { denials: Array<{ resource: { type: string }; reason: string }> }).denials;

  beforeAll(async () => {
    assertBuilt();
    db = await startHashServer();
    setup = await setUpScenario(s, { target: db.hostPort });
    for (const a of ['admin', 'bank', 'analysis'] as const) ids[a] = (await s.json<{ identifier: string }>(a, ['identity', 'show'])).identifier;
    const bankNode = await s.json<{ tcpListenerAddress: string }>('bank', ['node', 'show', setup.nodes.bank]);
    // Bank Corp: its listener admits anyone; its outlet admits Analysis Corp's identifier.
    await s.ok('bank', ['policy', 'create', '--resource-type', 'secure-channel-listener', '--expression', 'true']);
    await s.ok('bank', ['policy', 'create', '--resource', 'outlet', '--expression', `subject.identifier == "${ids.analysis}"`]);
    // Analysis Corp: a direct inlet to Bank Corp's listener, pinned to Bank Corp's identifier.
    direct = await freePort();
    await s.ok('analysis', ['tcp-inlet', 'create', '--from', `127.0.0.1:${direct}`, '--to', `/ip4/${bankNode.tcpListenerAddress.replace(':', '/tcp/')}/service/api`,
      '--allow', `subject.identifier == "${ids.bank}"`]);
    await until(true, 'the direct inlet to work', 30_000);
  }, 180_000);
  afterAll(async () => {
    await s.cleanup();
    await db?.close();
  }, 60_000);

  it("a suspended member is refused by a listener and an outlet whose policies need no credential; resume lets it back in", async () => {
    const suspended = await s.json<{ accessEndedAt: string }>('admin', ['project', 'member', 'suspend', ids.analysis]);
    const refusedAt = await until(false, 'the suspended member to be refused');
    expect(refusedAt - Date.parse(suspended.accessEndedAt)).toBeLessThan(10_000);
    await staysRefused(4_000);
    const reasons = (await denials('bank', setup.nodes.bank)).filter((d) => /revoked/.test(d.reason));
    expect(reasons.map((d) => d.resource.type)).toContain('secure-channel-listener');

    await s.ok('admin', ['project', 'member', 'resume', ids.analysis]);
    await until(true, 'the resumed member to be admitted again', 20_000);
  }, 120_000);

  it("an inlet refuses an outlet node whose identity was revoked, though its policy names that identifier", async () => {
    await until(true, 'the direct inlet to work', 20_000);
    const suspended = await s.json<{ accessEndedAt: string }>('admin', ['project', 'member', 'suspend', ids.bank]);
    const refusedAt = await until(false, 'the inlet to refuse the suspended outlet node');
    expect(refusedAt - Date.parse(suspended.accessEndedAt)).toBeLessThan(10_000);
    await staysRefused(4_000);
    const reasons = (await denials('analysis', setup.nodes.analysis)).filter((d) => /revoked/.test(d.reason));
    expect(reasons.length).toBeGreaterThan(0);
    await s.ok('admin', ['project', 'member', 'resume', ids.bank]);
  }, 120_000);

  it('a removed member is refused; re-added by an admin, it fetches a new credential through the project listener and is admitted again', async () => {
    await until(true, 'the direct inlet to work after resume', 20_000);
    const removed = await s.json<{ accessEndedAt: string }>('admin', ['project', 'member', 'remove', ids.analysis]);
    const refusedAt = await until(false, 'the removed member to be refused');
    expect(refusedAt - Date.parse(removed.accessEndedAt)).toBeLessThan(10_000);
    await s.ok('admin', ['project', 'member', 'add', ids.analysis, '--attribute', 'component=analysis']);
    await s.ok('analysis', ['project', 'refresh']);
    await until(true, 'the re-added member to be admitted with its new credential', 20_000);
  }, 120_000);
});
