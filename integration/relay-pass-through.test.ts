import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { markNestedFrame } from '../core/channel/nested-frames.js';
import type { SecureChannel } from '../core/channel/secure-channel.js';
import { decodeRelayMessage, encodeRelayMessage } from '../core/relay/relay-message.js';
import { decodeEnrollmentTicket } from '../authority/enrollment-ticket.js';
import { decodeResponse, encodeRequest } from '../authority/services/protocol.js';
import type { SecureChannelView } from '../node/api/secure-channel-view.js';
import { assertBuilt } from './support/cli.js';
import { exchange, sha256, startBlobServer, type BlobServer } from './support/hash-server.js';
import { Scenario, setUpScenario, waitFor, type ScenarioSetup } from './support/scenario.js';
import { Outsider } from './security/support/outsider.js';
import { local } from './security/support/wire-client.js';

/** Long enough that its `create` and `delete` requests are at least an inner frame's 24 bytes. */
const RELAY = 'postgres-of-bank-corp-for-analysis';

/** Marks `payload` as a nested channel's frame: the sender's channel passes it through (what modified code could do with any bytes). */
function passThrough(payload: Uint8Array): Uint8Array {
  markNestedFrame(payload);
  return payload;
}

interface ChannelList { readonly channels: readonly SecureChannelView[] }

/**
 * Real processes (the README scenario: project node, Bank's outlet node with its relay,
 * Analysis's inlet node): the project node carries the portal's end-to-end frames as
 * pass-through frames (counted on both of its channels and on both members' channels to it),
 * and bytes arrive intact both ways. A member (and a non-member) that frames its own messages
 * as pass-through, in a node of this process, gets no further than with ordinary frames: the
 * relay rule, relay ownership and the listener's admission apply to every message.
 */
describe('the project node passes end-to-end frames through, and still checks every message', () => {
  const s = Scenario.create({ prefix: 'sym-pass-through-' });
  let setup: ScenarioSetup;
  let server: BlobServer;
  let member: Outsider;
  let memberChannel: SecureChannel;
  let memberId = '';
  let outsider: Outsider;
  let outsiderChannel: SecureChannel;

  /** The channels of an actor's default node; for admin, of the project node. */
  const list = (actor: 'admin' | 'bank' | 'analysis'): Promise<ChannelList> =>
    s.json<ChannelList>(actor, ['secure-channel', 'list', ...(actor === 'admin' ? ['--at', setup.projectNode] : [])]);

  beforeAll(async () => {
    assertBuilt();
    server = await startBlobServer(2 * 1024 * 1024);
    setup = await setUpScenario(s, { target: `127.0.0.1:${server.port}`, relay: RELAY });
    const project = Outsider.api(`127.0.0.1:${setup.projectPort}`);
    // A member enrolled in this process with an ordinary ticket (no relay of its own).
    const ticket = decodeEnrollmentTicket((await s.ok('admin', ['project', 'ticket', '--attribute', 'component=analysis'])).trim());
    member = await Outsider.start('member');
    memberId = member.actor.identity.identifier;
    memberChannel = await member.channelTo(project);
    const redeemed = await member.ask([local(memberChannel.address), local('enrollment')], encodeRequest({ id: 1, method: 'redeem', params: { code: ticket.code } }), 10_000);
    const answer = decodeResponse(redeemed!.payload);
    if (!answer.ok) throw new Error(`redeem failed: ${JSON.stringify(answer)}`);
    const credential = (answer.result as { credential: { credential: Uint8Array; attestation: Uint8Array } }).credential;
    member.actor.credential = { credential: credential.credential, attestation: credential.attestation };
    expect(memberChannel.presentCredential()).toBe(true);
    outsider = await Outsider.start('outsider');
    outsiderChannel = await outsider.channelTo(project);
    await waitFor('pass-through on the members\' channels', () => (memberChannel.passThrough && outsiderChannel.passThrough ? true : undefined), { timeoutMs: 5_000, intervalMs: 20 });
  }, 120_000);
  afterAll(async () => {
    await member?.stop();
    await outsider?.stop();
    await server?.close();
    await s.cleanup();
  }, 60_000);

  it('carries a portal through the relay with pass-through frames on every hop; bytes arrive intact both ways', async () => {
    const upload = randomBytes(2 * 1024 * 1024);
    const downloaded = await exchange(setup.inletPort, upload);
    expect(downloaded).toEqual({ sha256: sha256(server.blob), bytes: server.blob.length });
    await waitFor('the upload at the server', () => (server.received.includes(sha256(upload)) ? true : undefined), { timeoutMs: 10_000 });

    // 2 MiB each way is at least 8 frames each way (frames carry at most 256 KiB).
    const [onProject, onBank, onAnalysis] = await Promise.all([list('admin'), list('bank'), list('analysis')]);
    const toProject = (l: ChannelList): SecureChannelView => l.channels.find((c) => c.purpose?.startsWith('project'))!;
    for (const c of [toProject(onBank), toProject(onAnalysis)]) {
      expect(c.passThrough.enabled).toBe(true);
      expect(c.passThrough.framesIn).toBeGreaterThanOrEqual(8);
      expect(c.passThrough.framesOut).toBeGreaterThanOrEqual(8);
    }
    const busy = onProject.channels.filter((c) => c.passThrough.framesIn >= 8 && c.passThrough.framesOut >= 8);
    expect(busy.length).toBe(2);
    expect(busy.every((c) => c.passThrough.enabled)).toBe(true);
  }, 60_000);

  it('a member\'s pass-through messages meet the relay rule and relay ownership like any other', async () => {
    const via = (address: string): ReturnType<typeof local>[] => [local(memberChannel.address), local(address)];
    const [onProject, bank] = await Promise.all([list('admin'), s.json<{ identifier: string }>('bank', ['identity', 'show'])]);
    const before = onProject.channels.find((c) => c.peer === memberId)!.passThrough.framesIn;
    const bankId = bank.identifier;

    // Take over or remove Bank's relay: refused (the member holds no relay attribute).
    const create = await member.ask(via('relay'), passThrough(encodeRelayMessage({ type: 'create', name: RELAY })), 5_000);
    const remove = await member.ask(via('relay'), passThrough(encodeRelayMessage({ type: 'delete', name: RELAY })), 5_000);
    expect(create && decodeRelayMessage(create.payload)).toEqual({ type: 'refused' });
    expect(remove && decodeRelayMessage(remove.payload)).toEqual({ type: 'refused' });

    // Bank's management route is for admins only: nothing gets through, and the project node logs the refusal.
    const managed = await member.ask([local(memberChannel.address), local(`forward_to_member.${bankId}`), local('echo')], passThrough(randomBytes(64)), 2_000);
    expect(managed).toBeUndefined();
    const [relays, denials, afterList] = await Promise.all([
      s.json<unknown>('bank', ['relay', 'list']), s.json<unknown>('admin', ['policy', 'denials', '--at', setup.projectNode]), list('admin'),
    ]);
    expect(JSON.stringify(relays)).toContain(RELAY);
    expect(JSON.stringify(denials)).toContain(`member.${bankId}`);
    expect(JSON.stringify(denials)).toContain(memberId);

    // The project node received them as pass-through frames (they were not refused for their framing).
    const after = afterList.channels.find((c) => c.peer === memberId)!.passThrough.framesIn;
    expect(after - before).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('a non-member\'s pass-through messages reach no relay and no service but enrollment', async () => {
    const via = (...addresses: string[]): ReturnType<typeof local>[] => [local(outsiderChannel.address), ...addresses.map((a) => local(a))];
    const replies = await Promise.all([
      outsider.ask(via(`forward_to_${RELAY}`, 'echo'), passThrough(randomBytes(64)), 2_000),
      outsider.ask(via('relay'), passThrough(encodeRelayMessage({ type: 'delete', name: RELAY })), 2_000),
      outsider.ask(via('echo'), passThrough(randomBytes(64)), 2_000),
    ]);
    expect(replies.map((r) => r !== undefined)).toEqual([false, false, false]);
    expect(outsiderChannel.stats.passThroughOut).toBeGreaterThanOrEqual(3);
    // The portal still works after all of this.
    const downloaded = await exchange(setup.inletPort, randomBytes(1024));
    expect(downloaded.sha256).toBe(sha256(server.blob));
  }, 60_000);
});
