import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import { encodeRelayMessage } from '../../core/relay/relay-message.js';
import { decodeResponse, encodeRequest } from '../../authority/services/protocol.js';
import { assertBuilt } from '../support/cli.js';
import { Scenario, setUpScenario, type ScenarioSetup } from '../support/scenario.js';
import { Outsider } from './support/outsider.js';
import { local } from './support/wire-client.js';

/** Every call an outsider might try on the project node: service address, method, params. */
const CALLS: ReadonlyArray<readonly [string, string, Record<string, unknown>]> = [
  ['credentials', 'issue', {}],
  ['tickets', 'create', { attributes: { component: 'analysis' } }],
  ['members', 'list', {}],
  ['members', 'add', { identifier: 'Iffff', attributes: { component: 'analysis' } }],
  ['audit', 'show', {}],
  ['audit', 'export', {}],
  ['revocations', 'list', {}],
  ['replicas', 'routes', {}],
];

/**
 * Attack: an outsider (a fresh identity with no credential, which the project node's
 * listener admits so that enrollees can redeem their tickets) talks to every service on
 * the project node. Before: the members, tickets, audit, credentials and revocations
 * services and the relay service all answered it (with refusals from the authority's role
 * checks, each one work for the store and the audit log). After: its channel reaches the
 * enrollment service and nothing else; every other address drops its messages without an
 * answer. Members still use every service. Real processes: the README scenario.
 */
describe('a non-member reaches only the enrollment service on the project node', () => {
  const s = Scenario.create({ prefix: 'sym-sec-reach-' });
  let setup: ScenarioSetup;
  let outsider: Outsider;
  let channel: SecureChannel;
  let id = 1;

  /** Sends one authority request through the outsider's channel; the decoded answer, or undefined when none came. */
  const call = async (service: string, method: string, params: Record<string, unknown>): Promise<ReturnType<typeof decodeResponse> | undefined> => {
    const reply = await outsider.ask([local(channel.address), local(service)], encodeRequest({ id: id++, method, params }), 2_000);
    return reply === undefined ? undefined : decodeResponse(reply.payload);
  };

  beforeAll(async () => {
    assertBuilt();
    setup = await setUpScenario(s, { target: '127.0.0.1:9' });
    outsider = await Outsider.start();
    channel = await outsider.channelTo(Outsider.api(`127.0.0.1:${setup.projectPort}`));
  }, 120_000);
  afterAll(async () => {
    await outsider?.stop();
    await s.cleanup();
  }, 60_000);

  it('the enrollment service answers an outsider (a wrong ticket is refused)', async () => {
    const answer = await call('enrollment', 'redeem', { code: new Uint8Array(32) });
    expect(answer).toMatchObject({ ok: false, error: { reason: 'unknown' } });
  });

  it('no other authority service answers an outsider', async () => {
    const answered: string[] = [];
    await Promise.all(CALLS.map(async ([service, method, params]) => {
      if ((await call(service, method, params)) !== undefined) answered.push(`${service}.${method}`);
    }));
    expect(answered.sort()).toEqual([]);
  });

  it('neither the relay service nor a relay nor echo answers an outsider', async () => {
    const replies = await Promise.all([
      outsider.ask([local(channel.address), local('relay')], encodeRelayMessage({ type: 'create', name: 'outsider' }), 2_000),
      outsider.ask([local(channel.address), local('relay')], encodeRelayMessage({ type: 'delete', name: 'postgres' }), 2_000),
      outsider.ask([local(channel.address), local('forward_to_postgres'), local('echo')], new Uint8Array([1]), 2_000),
      outsider.ask([local(channel.address), local('forward_to_nothing'), local('echo')], new Uint8Array([1]), 2_000),
      outsider.ask([local(channel.address), local('echo')], new Uint8Array([1]), 2_000),
    ]);
    expect(replies.map((r) => r !== undefined)).toEqual([false, false, false, false, false]);
    const relays = await s.json<Array<{ name: string }> | { relays: Array<{ name: string }> }>('bank', ['relay', 'list']);
    expect(JSON.stringify(relays)).toContain('postgres');
  });

  it('members still reach every service they need', async () => {
    // Tickets and members (admin), credentials (refresh), audit (admin), relays (bank's, registered in setup).
    expect((await s.ok('admin', ['project', 'ticket', '--attribute', 'component=x'])).trim().length).toBeGreaterThan(0);
    const members = await s.json<unknown>('admin', ['project', 'member', 'list']);
    expect(JSON.stringify(members)).toContain('analysis');
    await s.ok('analysis', ['project', 'refresh']);
    const audit = await s.json<{ records: unknown[] }>('admin', ['audit', 'show']);
    expect(audit.records.length).toBeGreaterThan(0);
  });
});
