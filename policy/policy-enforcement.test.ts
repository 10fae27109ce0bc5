import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/logger.js';
import type { Message, MessageOrigin } from '../core/routing/message.js';
import type { AccessControl } from '../core/node/access-control.js';
import { AUTHENTICATED_PEER, relayRule } from './default-rules.js';
import { DenialLog } from './denial-log.js';
import { PolicyEnforcement } from './policy-enforcement.js';
import { FilePolicyStore } from './policy-store-file.js';
import { NO_TRUST, trustScope, type TrustScope } from './trust-scope.js';

const AUTHORITY = 'Iauthority';
function message(origin?: MessageOrigin): Message {
  return { onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), ...(origin ? { origin } : {}) };
}
const analysis: MessageOrigin = { via: 'channel', peer: { identifier: 'Ianalysis', attributes: { component: 'analysis' }, authority: AUTHORITY, channel: 'enc1' } };
const db: MessageOrigin = { via: 'channel', peer: { identifier: 'Idb', attributes: { component: 'db' }, authority: AUTHORITY, channel: 'enc2' } };
const anonymous: MessageOrigin = { via: 'channel', peer: { identifier: 'Ianon', attributes: {}, channel: 'enc3' } };
const BANK = trustScope([{ name: 'bank', authority: AUTHORITY, own: true }]);

class RecordingLogger implements Logger {
  readonly lines: Array<{ level: string; obj: object; msg?: string }> = [];
  debug(obj: object, msg?: string): void { this.lines.push({ level: 'debug', obj, msg }); }
  info(obj: object, msg?: string): void { this.lines.push({ level: 'info', obj, msg }); }
  warn(obj: object, msg?: string): void { this.lines.push({ level: 'warn', obj, msg }); }
  error(obj: object, msg?: string): void { this.lines.push({ level: 'error', obj, msg }); }
  child(): Logger { return this; }
}

describe('PolicyEnforcement.accessControl', () => {
  let dir: string;
  let store: FilePolicyStore;
  let logger: RecordingLogger;
  let denials: DenialLog;
  let trust: TrustScope;
  let enforcement: PolicyEnforcement;
  let control: AccessControl;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symbolon-ac-'));
    store = await FilePolicyStore.open(join(dir, 'policies.json'));
    logger = new RecordingLogger();
    denials = new DenialLog({ logger, capacity: 3 });
    trust = BANK;
    enforcement = new PolicyEnforcement({ node: 'n1', policies: store, trust: () => trust, denials, clock: () => Date.parse('2026-01-01T12:00:00Z') });
    control = enforcement.accessControl({ type: 'worker', name: 'echo' }, 'send');
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  const ask = (origin?: MessageOrigin): boolean | Promise<boolean> => control.isAuthorized({ address: 'echo', direction: 'incoming', message: message(origin) });

  it('allows local traffic whatever the policy', async () => {
    await store.create({ kind: 'resource', name: 'echo' }, 'false');
    expect(ask()).toBe(true);
    expect(ask({ via: 'local' })).toBe(true);
    expect(denials.counts().total).toBe(0);
  });

  it('defaults to the trusted authority, and to deny when none is configured', () => {
    expect(ask(analysis)).toBe(true);
    expect(ask(anonymous)).toBe(false);
    expect(ask({ via: 'tcp' })).toBe(false);
    trust = NO_TRUST;
    expect(ask(analysis)).toBe(false);
    expect(denials.counts()).toEqual({ total: 3, byResource: { 'worker/echo': 3 }, wouldDeny: 0 });
  });

  it('applies the resource policy, logs the denial with its failing part, and reveals nothing', async () => {
    await store.create({ kind: 'resource', name: 'echo' }, 'subject.component == "analysis"');
    expect(ask(analysis)).toBe(true);
    expect(ask(db)).toBe(false);
    const [denial] = denials.recent(1);
    expect(denial).toMatchObject({
      at: '2026-01-01T12:00:00.000Z', resource: { type: 'worker', name: 'echo', node: 'n1' }, action: 'send', subject: 'Idb',
      reason: 'denied by resource echo policy: `subject.component == "analysis"` evaluated to false',
      policy: { scope: { kind: 'resource', name: 'echo' }, expression: 'subject.component == "analysis"' },
    });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'access denied', obj: { subject: 'Idb', action: 'send' } });
  });

  it('lets bare TCP through only when a policy allows the empty subject', async () => {
    await store.create({ kind: 'resource-type', type: 'worker' }, '!has(subject.identifier)');
    expect(ask({ via: 'tcp' })).toBe(true);
    expect(ask(analysis)).toBe(false);
    expect(denials.recent(1)[0]?.reason).toMatch(/evaluated to true/);
  });

  it('follows policy changes without being rebuilt', async () => {
    expect(ask(db)).toBe(true);
    await store.create({ kind: 'resource-type', type: 'worker' }, 'subject.component == "analysis"');
    expect(ask(db)).toBe(false);
    await store.delete({ kind: 'resource-type', type: 'worker' });
    expect(ask(db)).toBe(true);
  });

  it('denies, without throwing, when the trust callback throws, and records why', () => {
    const broken = new PolicyEnforcement({ node: 'n1', policies: store, denials, trust: () => { throw new Error('boom'); } });
    expect(broken.accessControl({ type: 'worker', name: 'echo' }, 'send').isAuthorized({ address: 'echo', direction: 'incoming', message: message(analysis) })).toBe(false);
    expect(denials.recent(1)[0]?.reason).toBe('denied: boom');
  });

  it('a named rule decides while no policy applies; a policy replaces it', async () => {
    const peers = enforcement.accessControl({ type: 'worker', name: 'echo' }, 'handle', { rule: AUTHENTICATED_PEER });
    const req = (origin?: MessageOrigin) => ({ address: 'echo', direction: 'incoming' as const, message: message(origin) });
    expect([peers.isAuthorized(req({ via: 'tcp' })), peers.isAuthorized(req(anonymous)), peers.isAuthorized(req(db))]).toEqual([false, true, true]);
    await store.create({ kind: 'resource', name: 'echo' }, 'subject.component == "db"');
    expect([peers.isAuthorized(req(anonymous)), peers.isAuthorized(req(db))]).toEqual([false, true]);
  });

  it('channelPeersOnly refuses local and bare-TCP messages before any policy, without a denial record', async () => {
    await store.create({ kind: 'resource', name: 'members' }, 'true');
    const members = enforcement.accessControl({ type: 'authority', name: 'members' }, 'call', { rule: AUTHENTICATED_PEER, channelPeersOnly: true });
    const req = (origin?: MessageOrigin) => ({ address: 'members', direction: 'incoming' as const, message: message(origin) });
    expect([members.isAuthorized(req()), members.isAuthorized(req({ via: 'local' })), members.isAuthorized(req({ via: 'tcp' })), members.isAuthorized(req(anonymous))]).toEqual([false, false, false, true]);
    expect(denials.counts().total).toBe(0);
  });
});

describe('PolicyEnforcement.authorize', () => {
  let dir: string;
  let store: FilePolicyStore;
  let denials: DenialLog;
  let enforcement: PolicyEnforcement;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'symbolon-authz-'));
    store = await FilePolicyStore.open(join(dir, 'policies.json'));
    denials = new DenialLog({ capacity: 10 });
    enforcement = new PolicyEnforcement({ node: 'n1', policies: store, trust: () => BANK, denials });
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  const peer = (origin: MessageOrigin) => (origin.via === 'channel' ? origin.peer : undefined);
  const admins = new Set(['Iadmin']);
  const relay = relayRule({ attribute: 'relay', isAdmin: async (id) => admins.has(id) });
  const listed = { identifier: 'Ilisted', attributes: { relay: 'pg,mq' }, authority: AUTHORITY };
  const foreign = { identifier: 'Iforeign', attributes: { relay: 'pg' }, authority: 'Iother' };

  it('decides synchronously with a synchronous rule and records each refusal once', () => {
    const listener = { type: 'secure-channel-listener', name: 'api' };
    expect(enforcement.authorize(listener, 'handshake', peer(analysis))).toBe(true);
    expect(enforcement.authorize(listener, 'handshake', peer(anonymous))).toBe(false);
    expect(enforcement.authorize(listener, 'handshake', peer(anonymous), AUTHENTICATED_PEER)).toBe(true);
    expect(denials.recent()).toMatchObject([{ resource: { type: 'secure-channel-listener', name: 'api', node: 'n1' }, action: 'handshake', subject: 'Ianon' }]);
  });

  it('the relay rule: send needs the own project\'s credential; create needs the name listed, or an admin (asked asynchronously)', async () => {
    const pg = { type: 'relay', name: 'pg' };
    expect(enforcement.authorize(pg, 'send', listed, relay)).toBe(true);
    expect(enforcement.authorize(pg, 'send', foreign, relay)).toBe(false);
    expect(enforcement.authorize(pg, 'create', listed, relay)).toBe(true);
    expect(await enforcement.authorize({ type: 'relay', name: 'other' }, 'create', listed, relay)).toBe(false);
    expect(await enforcement.authorize(pg, 'create', foreign, relay)).toBe(false);
    expect(await enforcement.authorize(pg, 'create', { identifier: 'Iadmin', attributes: {} }, relay)).toBe(true);
    expect(enforcement.authorize(pg, 'create', undefined, relay)).toBe(false);
    expect(denials.recent().map((d) => [d.action, d.resource.name, d.subject ?? null])).toEqual([
      ['create', 'pg', null], ['create', 'pg', 'Iforeign'], ['create', 'other', 'Ilisted'], ['send', 'pg', 'Iforeign'],
    ]);
    expect(denials.recent(1)[0]!.reason).toContain('default relay rule');
  });

  it('a policy wins over the rule; a rule that throws or rejects denies', async () => {
    const pg = { type: 'relay', name: 'pg' };
    await store.create({ kind: 'resource-type', type: 'relay' }, 'subject.component == "analysis"');
    expect(enforcement.authorize(pg, 'create', listed, relay)).toBe(false);
    expect(denials.recent(1)[0]!.reason).toContain('policy');
    expect(enforcement.authorize(pg, 'create', peer(analysis), relay)).toBe(true);
    await store.delete({ kind: 'resource-type', type: 'relay' });
    const throws = { name: 'throws', decide: () => { throw new Error('boom'); } };
    const rejects = { name: 'rejects', decide: () => Promise.reject(new Error('store down')) };
    expect(enforcement.authorize(pg, 'create', listed, throws)).toBe(false);
    expect(await enforcement.authorize(pg, 'create', listed, rejects)).toBe(false);
    expect(denials.recent(2).map((d) => d.reason)).toEqual(['denied: store down', 'denied: boom']);
  });
});

describe('DenialLog', () => {
  it('keeps the last N, newest first, and counts all', () => {
    const log = new DenialLog({ capacity: 3 });
    for (let i = 0; i < 5; i++) {
      log.record({ at: `t${i}`, resource: { type: 'relay', name: i % 2 ? 'a' : 'b', node: 'n' }, action: 'create', reason: `r${i}` });
    }
    expect(log.recent().map((d) => d.reason)).toEqual(['r4', 'r3', 'r2']);
    expect(log.recent(2).map((d) => d.reason)).toEqual(['r4', 'r3']);
    expect(log.recent(0)).toEqual([]);
    expect(log.counts()).toEqual({ total: 5, byResource: { 'relay/b': 3, 'relay/a': 2 }, wouldDeny: 0 });
  });
});
