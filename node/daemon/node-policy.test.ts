import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Message, PeerInfo } from '../../core/routing/message.js';
import { AUTHENTICATED_PEER } from '../../policy/default-rules.js';
import { trustScope } from '../../policy/trust-scope.js';
import { createNode } from '../client/node-lifecycle.js';
import { Home } from '../home/home.js';
import { NodePolicy } from './node-policy.js';

function message(origin: Message['origin']): Message {
  return { onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), ...(origin ? { origin } : {}) };
}

describe('NodePolicy', () => {
  let dir: string;
  let home: Home;
  const warnings: unknown[] = [];
  const logger: Logger = { ...silentLogger, warn: (fields: unknown) => { warnings.push(fields); } };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sym-npol-'));
    home = new Home(join(dir, 'home'));
    createNode(home, 'n1');
    warnings.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const bank = trustScope([{ name: 'bank', authority: 'Ibank', own: true }, { name: 'other', authority: 'Iother', own: false }]);
  const open = (): Promise<NodePolicy> => NodePolicy.open({ home, node: 'n1', logger, trust: () => bank });

  it('decides with policies: resource beats type beats the rule; denials are logged and counted; policies persist', async () => {
    const policy = await open();
    const echo = { type: 'worker', name: 'echo' };
    const guard = policy.accessControl(echo, 'handle');
    const peers = policy.accessControl(echo, 'handle', { rule: AUTHENTICATED_PEER });
    const peer = (attributes: Record<string, string>, authority = 'Ibank'): PeerInfo => ({ identifier: 'I0123456789abcdef0123456789abcdef', attributes, authority, channel: 'c1' });
    const req = (m: Message) => ({ address: 'echo', direction: 'incoming' as const, message: m });
    const tcp = message({ via: 'tcp' });
    const db = message({ via: 'channel', peer: peer({ component: 'db' }) });
    const web = message({ via: 'channel', peer: peer({ component: 'web' }) });
    const outsider = message({ via: 'channel', peer: peer({ component: 'db' }, 'Iother') });
    expect(await guard.isAuthorized(req(message(undefined)))).toBe(true);
    expect(await guard.isAuthorized(req(tcp))).toBe(false);
    expect(await guard.isAuthorized(req(db))).toBe(true);
    expect(await guard.isAuthorized(req(outsider))).toBe(false);
    expect([await peers.isAuthorized(req(tcp)), await peers.isAuthorized(req(outsider))]).toEqual([false, true]);
    await policy.policies.create({ kind: 'resource-type', type: 'worker' }, 'subject.component == "web"');
    expect(policy.hasPolicy(echo)).toBe(true);
    expect(await peers.isAuthorized(req(web))).toBe(true);
    expect(await peers.isAuthorized(req(db))).toBe(false);
    await policy.policies.create({ kind: 'resource', name: 'echo' }, 'subject.component == "db"');
    expect(await peers.isAuthorized(req(db))).toBe(true);
    expect(await peers.isAuthorized(req(outsider))).toBe(false);
    expect(policy.authorize(echo, 'handle', peer({ component: 'db' }))).toBe(true);
    expect(policy.authorize({ type: 'secure-channel-listener', name: 'api' }, 'handshake', peer({}, 'Iother'))).toBe(false);
    const recent = policy.denials.recent(10);
    expect(recent[0]).toMatchObject({ resource: { type: 'secure-channel-listener', name: 'api', node: 'n1' }, action: 'handshake' });
    expect(recent[0]!.reason).toMatch(/no credential from the authority of this node's project/);
    expect(recent[1]).toMatchObject({ resource: { name: 'echo' }, action: 'handle' });
    expect(recent[1]!.reason).toMatch(/from project other, not this node's own/);
    expect(policy.denials.counts().total).toBe(recent.length);
    expect(warnings.length).toBe(recent.length);
    const again = await open();
    expect((await again.policies.list()).map((p) => p.expression)).toEqual(['subject.component == "db"', 'subject.component == "web"']);
  });
});
