import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../core/node/access-control.js';
import type { Message, MessageOrigin } from '../core/routing/message.js';
import { DecisionCounts } from './decision-counts.js';
import { DenialLog } from './denial-log.js';
import { PolicyAccessControl } from './policy-access-control.js';
import { FilePolicyStore } from './policy-store-file.js';

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
  it('counts the decisions of an access control by resource type, not the local messages it lets pass', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'symbolon-decisions-'));
    dirs.push(dir);
    const store = await FilePolicyStore.open(join(dir, 'policies.json'));
    const decisions = new DecisionCounts();
    const denials = new DenialLog();
    const control = (name: string) => new PolicyAccessControl({
      resource: { type: 'tcp-outlet', name, node: 'n1' }, action: 'connect', store, trustedAuthorities: () => [AUTHORITY], denials, decisions,
    });
    const a = control('outlet');
    const b = control('other');
    expect(a.isAuthorized(request(member))).toBe(true);
    expect(b.isAuthorized(request(stranger))).toBe(false);
    expect(a.isAuthorized(request())).toBe(true);
    expect(a.isAuthorized(request({ via: 'local' }))).toBe(true);
    decisions.count('relay', false);
    expect(new Map(decisions.entries())).toEqual(new Map([
      ['tcp-outlet', { allowed: 1, denied: 1 }],
      ['relay', { allowed: 0, denied: 1 }],
    ]));
    expect(denials.counts().total).toBe(1);
  });
});
