import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../core/node/access-control.js';
import type { Message, MessageOrigin } from '../core/routing/message.js';
import { DecisionCounts } from './decision-counts.js';
import { DenialLog } from './denial-log.js';
import { PolicyEnforcement } from './policy-enforcement.js';
import { FilePolicyStore } from './policy-store-file.js';
import { trustScope } from './trust-scope.js';

const AUTHORITY = 'Iauthority';
const request = (origin?: MessageOrigin): AccessRequest => ({ address: 'outlet', direction: 'incoming', message: message(origin) });
const message = (origin?: MessageOrigin): Message => ({ onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), ...(origin ? { origin } : {}) });
const member: MessageOrigin = { via: 'channel', peer: { identifier: 'Imember', attributes: { component: 'analysis' }, authority: AUTHORITY, channel: 'enc1' } };
const stranger: MessageOrigin = { via: 'channel', peer: { identifier: 'Istranger', attributes: {}, channel: 'enc2' } };

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('DecisionCounts', () => {
  it('counts the decisions of the enforcement point by resource type, not the local messages it lets pass', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symbolon-decisions-'));
    dirs.push(dir);
    const store = await FilePolicyStore.open(join(dir, 'policies.json'));
    const decisions = new DecisionCounts();
    const denials = new DenialLog();
    const trust = trustScope([{ name: 'bank', authority: AUTHORITY, own: true }]);
    const enforcement = new PolicyEnforcement({ node: 'n1', policies: store, trust: () => trust, denials, decisions });
    const control = (name: string) => enforcement.accessControl({ type: 'tcp-outlet', name }, 'connect');
    const a = control('outlet');
    const b = control('other');
    expect(a.isAuthorized(request(member))).toBe(true);
    expect(b.isAuthorized(request(stranger))).toBe(false);
    expect(a.isAuthorized(request())).toBe(true);
    expect(a.isAuthorized(request({ via: 'local' }))).toBe(true);
    expect(enforcement.authorize({ type: 'relay', name: 'pg' }, 'create', undefined)).toBe(false);
    expect(new Map(decisions.entries())).toEqual(new Map([
      ['tcp-outlet', { allowed: 1, denied: 1, wouldDeny: 0 }],
      ['relay', { allowed: 0, denied: 1, wouldDeny: 0 }],
    ]));
    expect(denials.counts().total).toBe(2);
  });
});
