import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePresentedCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Message, PeerInfo } from '../../core/routing/message.js';
import { issueAs } from '../home/credential-issuer.js';
import { Home } from '../home/home.js';
import { createIdentityRecord, readIdentityRecord } from '../home/identity-registry.js';
import { createNode } from '../client/node-lifecycle.js';
import { readProject, writeProject } from '../home/project-registry.js';
import { NodeSecurity, setConfiguredNodeIdentity } from './node-security.js';

function message(origin: Message['origin']): Message {
  return { onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), ...(origin ? { origin } : {}) };
}

describe('NodeSecurity', () => {
  let dir: string;
  let home: Home;
  const opened: NodeSecurity[] = [];
  const warnings: unknown[] = [];
  const logger: Logger = { ...silentLogger, warn: (fields: unknown) => { warnings.push(fields); } };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-sec-'));
    home = new Home(join(dir, 'home'));
    createNode(home, 'n1');
    warnings.length = 0;
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(): Promise<NodeSecurity> {
    const security = await NodeSecurity.open({ home, node: 'n1', logger });
    opened.push(security);
    return security;
  }

  it('runs as the home default identity (created on first start) and reuses its purpose keys after a restart', async () => {
    const first = await open();
    expect(first.identityName).toBe('default');
    expect(first.identifier).toBe(readIdentityRecord(home, 'default').identifier);
    const key = await first.secureChannelKey();
    expect(key.attestation.length).toBeGreaterThan(0);
    const stored = join(home.node('n1').dir, 'purpose-keys.json');
    expect(statSync(stored).mode & 0o777).toBe(0o600);
    expect(readFileSync(stored, 'utf8')).toContain(first.identifier);
    const second = await open();
    expect(Buffer.from((await second.secureChannelKey()).publicKey)).toEqual(Buffer.from(key.publicKey));
    expect(second.trustedAuthorities().size).toBe(0);
    expect(second.credential()).toBeUndefined();
  });

  it('runs as the identity named in the node config', async () => {
    const bank = await createIdentityRecord(home, 'bank', { keyType: 'p256' });
    setConfiguredNodeIdentity(home, 'n1', 'bank');
    const security = await open();
    expect([security.identityName, security.identifier, security.keyHandle.type]).toEqual(['bank', bank.identifier, 'p256']);
  });

  it('trusts project authorities, loads, verifies, replaces and persists the node credential', async () => {
    const self = await open();
    const authority = await createIdentityRecord(home, 'authority');
    const issued = await issueAs(home, 'authority', { subject: self.identifier, attributes: { component: 'db' }, ttlMs: 600_000 });
    writeProject(home, {
      version: 1, name: 'bank', route: '/ip4/127.0.0.1/tcp/4000', authority: { identifier: authority.identifier, changeHistory: authority.identity.changeHistory },
      authorityIdentifier: authority.identifier, role: 'member', node: 'n1', createdAt: new Date().toISOString(),
      credential: Buffer.from(encodePresentedCredential(issued)).toString('base64'),
    });
    const seen: Array<PresentedCredential | undefined> = [];
    self.onCredential((c) => seen.push(c));
    self.reload();
    expect([...self.trustedAuthorities().keys()]).toEqual([authority.identifier]);
    expect(self.verifiedCredential()?.attributes).toEqual({ component: 'db' });
    expect(seen).toHaveLength(1);
    const fresh = await issueAs(home, 'authority', { subject: self.identifier, attributes: { component: 'web' }, ttlMs: 600_000 });
    self.setCredential(fresh);
    expect(self.verifiedCredential()?.attributes).toEqual({ component: 'web' });
    expect(readProject(home, 'bank').credential).toBe(Buffer.from(encodePresentedCredential(fresh)).toString('base64'));
    const restarted = await open();
    expect(restarted.verifiedCredential()?.attributes).toEqual({ component: 'web' });
  });

  it('decides with policies: resource beats type beats default, denials are logged and counted', async () => {
    const security = await open();
    const echo = { type: 'worker', name: 'echo' };
    const guard = security.accessControl(echo, 'handle');
    const open_ = security.accessControl(echo, 'handle', { openWithoutPolicy: true });
    const peer = (attributes: Record<string, string>): PeerInfo => ({ identifier: 'I0123456789abcdef0123456789abcdef', attributes, channel: 'c1' });
    const req = (m: Message) => ({ address: 'echo', direction: 'incoming' as const, message: m });
    const tcp = message({ via: 'tcp' });
    const db = message({ via: 'channel', peer: peer({ component: 'db' }) });
    const web = message({ via: 'channel', peer: peer({ component: 'web' }) });
    expect(await guard.isAuthorized(req(message(undefined)))).toBe(true);
    expect(await guard.isAuthorized(req(tcp))).toBe(false);
    expect(await open_.isAuthorized(req(tcp))).toBe(true);
    expect(await open_.isAuthorized(req(db))).toBe(true);
    await security.policies.create({ kind: 'resource-type', type: 'worker' }, 'subject.component == "web"');
    expect(security.hasPolicy(echo)).toBe(true);
    expect(await open_.isAuthorized(req(web))).toBe(true);
    expect(await open_.isAuthorized(req(db))).toBe(false);
    await security.policies.create({ kind: 'resource', name: 'echo' }, 'subject.component == "db"');
    expect(await open_.isAuthorized(req(db))).toBe(true);
    expect(await open_.isAuthorized(req(web))).toBe(false);
    expect(await open_.isAuthorized(req(tcp))).toBe(false);
    expect(security.decide(peer({ component: 'db' }), echo, 'handle').allowed).toBe(true);
    expect(security.authorize({ type: 'secure-channel-listener', name: 'api' })(peer({ component: 'db' }))).toBe(false);
    const recent = security.denials.recent(10);
    expect(recent[0]).toMatchObject({ resource: { type: 'secure-channel-listener', name: 'api', node: 'n1' }, action: 'handshake' });
    expect(recent[0]!.reason).toMatch(/no trusted authority/);
    expect(recent[1]).toMatchObject({ resource: { name: 'echo' }, action: 'handle' });
    expect(recent[1]!.reason).toMatch(/subject.component == "db"/);
    expect(security.denials.counts().total).toBe(recent.length);
    expect(warnings.length).toBe(recent.length);
    // Policies persist for the next start.
    const again = await open();
    expect((await again.policies.list()).map((p) => p.expression)).toEqual(['subject.component == "db"', 'subject.component == "web"']);
  });

  it('decideOr: a policy decides when present, else the fallback; every refusal is recorded', async () => {
    const security = await open();
    const peer = { identifier: 'Iabc', attributes: { component: 'db' } };
    const relay = { type: 'relay', name: 'pg' };
    expect(security.decideOr(peer, relay, 'create', { allowed: () => true, reason: 'default rule' })).toBe(true);
    expect(security.decideOr(peer, relay, 'send', { allowed: () => false, reason: 'default rule' })).toBe(false);
    expect(await security.decideOr(peer, relay, 'create', { allowed: async () => false, reason: 'default async' })).toBe(false);
    expect(await security.decideOr(peer, relay, 'create', { allowed: () => Promise.reject(new Error('store down')), reason: 'default failed' })).toBe(false);
    expect(security.decideOr(peer, relay, 'create', { allowed: () => { throw new Error('boom'); }, reason: 'default threw' })).toBe(false);
    expect(security.denials.recent(10).map((d) => [d.action, d.reason, d.subject, d.resource.node])).toEqual([
      ['create', 'default threw', 'Iabc', 'n1'], ['create', 'default failed', 'Iabc', 'n1'],
      ['create', 'default async', 'Iabc', 'n1'], ['send', 'default rule', 'Iabc', 'n1'],
    ]);
    await security.policies.create({ kind: 'resource-type', type: 'relay' }, 'subject.component == "analysis"');
    expect(security.decideOr(peer, relay, 'create', { allowed: () => true, reason: 'default rule' })).toBe(false);
    expect(security.denials.recent(1)[0]!.reason).toContain('policy');
    expect(security.decideOr({ ...peer, attributes: { component: 'analysis' } }, relay, 'send', { allowed: () => false, reason: 'default rule' })).toBe(true);
  });
});
