import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message, MessageOrigin } from '../core/routing/message.js';
import { DecisionCounts } from './decision-counts.js';
import { PROJECT_ADMIN, relayRule } from './default-rules.js';
import { DenialLog } from './denial-log.js';
import { PolicyEnforcement } from './policy-enforcement.js';
import { FilePolicyStore, type PolicyChange } from './policy-store-file.js';
import { trustScope } from './trust-scope.js';

const AUTHORITY = 'Iauthority';
const BANK = trustScope([{ name: 'bank', authority: AUTHORITY, own: true }, { name: 'other', authority: 'Iother', own: false }]);
const message = (origin: MessageOrigin): Message => ({ onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), origin });
const peer = (identifier: string, attributes: Record<string, string>, authority = AUTHORITY): MessageOrigin =>
  ({ via: 'channel', peer: { identifier, attributes, authority, channel: 'enc' } });

describe('audit mode', () => {
  let dir: string;
  let store: FilePolicyStore;
  let denials: DenialLog;
  let decisions: DecisionCounts;
  let enforcement: PolicyEnforcement;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sym-audit-mode-'));
    store = await FilePolicyStore.open(join(dir, 'policies.json'));
    denials = new DenialLog();
    decisions = new DecisionCounts();
    enforcement = new PolicyEnforcement({ node: 'bank', policies: store, denials, decisions, trust: () => BANK });
  });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  it('an audit-mode policy lets through what it would deny, records it marked audit and counts it as would-deny', async () => {
    await store.create({ kind: 'resource-type', type: 'tcp-outlet' }, 'subject.component == "analysis"', { mode: 'audit' });
    const control = enforcement.accessControl({ type: 'tcp-outlet', name: 'outlet' }, 'connect');
    const request = (origin: MessageOrigin) => ({ address: 'outlet', direction: 'incoming' as const, message: message(origin) });
    expect(control.isAuthorized(request(peer('Iweb', { component: 'web' })))).toBe(true);
    expect(control.isAuthorized(request(peer('Ian', { component: 'analysis' })))).toBe(true);
    expect(enforcement.authorize({ type: 'tcp-outlet', name: 'outlet' }, 'connect', peer('Iweb2', { component: 'web' }).peer)).toBe(true);
    const recorded = denials.recent();
    expect(recorded).toHaveLength(2);
    expect(recorded[0]).toMatchObject({ mode: 'audit', subject: 'Iweb2', resource: { type: 'tcp-outlet', name: 'outlet' } });
    expect(recorded[1]!.reason).toMatch(/^audit mode, allowed; would have been denied by resource-type tcp-outlet policy: `subject.component == "analysis"`/);
    expect(denials.counts()).toMatchObject({ total: 0, wouldDeny: 2 });
    expect(new Map(decisions.entries()).get('tcp-outlet')).toEqual({ allowed: 3, denied: 0, wouldDeny: 2 });
  });

  it('records one would-be denial per resource, action and subject a minute (the session goes on), and counts every one', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const clocked = new PolicyEnforcement({ node: 'bank', policies: store, denials, decisions, trust: () => BANK, clock: () => now });
    await store.create({ kind: 'resource', name: 'outlet' }, 'subject.component == "analysis"', { mode: 'audit' });
    const control = clocked.accessControl({ type: 'tcp-outlet', name: 'outlet' }, 'connect');
    const web = peer('Iweb', { component: 'web' });
    for (let i = 0; i < 50; i++) expect(control.isAuthorized({ address: 'outlet', direction: 'incoming', message: message(web) })).toBe(true);
    expect(denials.recent()).toHaveLength(1);
    now += 60_000;
    expect(control.isAuthorized({ address: 'outlet', direction: 'incoming', message: message(web) })).toBe(true);
    expect(denials.recent()).toHaveLength(2);
    expect(denials.counts().wouldDeny).toBe(2);
    expect(new Map(decisions.entries()).get('tcp-outlet')).toEqual({ allowed: 51, denied: 0, wouldDeny: 51 });
  });

  it('the mode is stored, read back, and part of the recorded change; enforce replaces audit', async () => {
    const changes: PolicyChange[] = [];
    store.onChange((c) => changes.push(c));
    await store.create({ kind: 'resource', name: 'outlet' }, 'true', { mode: 'audit', by: { actor: 'Iadmin', fields: { identifier: 'Iadmin', via: 'project' } } });
    expect(JSON.parse(await readFile(join(dir, 'policies.json'), 'utf8')).policies[0]).toMatchObject({ mode: 'audit' });
    const reopened = await FilePolicyStore.open(join(dir, 'policies.json'));
    expect((await reopened.get({ kind: 'resource', name: 'outlet' })).mode).toBe('audit');
    await store.create({ kind: 'resource', name: 'outlet' }, 'false');
    expect((await store.get({ kind: 'resource', name: 'outlet' })).mode).toBe('enforce');
    expect(changes).toMatchObject([
      { after: 'true', afterMode: 'audit', by: { actor: 'Iadmin' } },
      { before: 'true', beforeMode: 'audit', after: 'false', afterMode: 'enforce' },
    ]);
    expect(changes[1]!.by).toBeUndefined();
  });
});

describe('the policy resource type and management routes', () => {
  const ask = (subject: { identifier: string; authority?: string; attributes?: Record<string, string> } | undefined) =>
    PROJECT_ADMIN.decide({ subject, resource: { type: 'policy', name: 'member_policies' }, action: 'create', trust: BANK }).allowed;

  it('project-admin: only a credential from the node\'s own project carrying role admin', () => {
    expect(ask({ identifier: 'I1', authority: AUTHORITY, attributes: { role: 'admin' } })).toBe(true);
    expect(ask({ identifier: 'I1', authority: AUTHORITY, attributes: { role: 'member' } })).toBe(false);
    expect(ask({ identifier: 'I1', authority: 'Iother', attributes: { role: 'admin' } })).toBe(false);
    expect(ask({ identifier: 'I1', attributes: { role: 'admin' } })).toBe(false);
    expect(ask(undefined)).toBe(false);
  });

  it('relay rule: member.ID is registered by ID only and used by admins only (credential role, else the store)', async () => {
    const id = `I${'a'.repeat(32)}`;
    const admins = new Set(['Istoreadmin']);
    const rule = relayRule({ attribute: 'relay', isAdmin: async (i) => admins.has(i) });
    const decide = async (subject: { identifier: string; authority?: string; attributes?: Record<string, string> }, action: string, name = `member.${id}`) =>
      (await rule.decide({ subject, resource: { type: 'relay', name }, action, trust: BANK })).allowed;
    expect(await decide({ identifier: id, authority: AUTHORITY }, 'create')).toBe(true);
    expect(await decide({ identifier: 'Iother1', authority: AUTHORITY, attributes: { relay: `member.${id}` } }, 'create')).toBe(false);
    expect(await decide({ identifier: id }, 'create')).toBe(false);
    expect(await decide({ identifier: id, authority: AUTHORITY }, 'create', 'member.notanid')).toBe(false);
    expect(await decide({ identifier: 'Iadm', authority: AUTHORITY, attributes: { role: 'admin' } }, 'send')).toBe(true);
    expect(await decide({ identifier: 'Istoreadmin', authority: AUTHORITY, attributes: {} }, 'send')).toBe(true);
    expect(await decide({ identifier: 'Imember', authority: AUTHORITY, attributes: { role: 'member' } }, 'send')).toBe(false);
    expect(await decide({ identifier: 'Iadm', authority: 'Iother', attributes: { role: 'admin' } }, 'send')).toBe(false);
  });
});
