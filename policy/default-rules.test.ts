import { describe, expect, it } from 'vitest';
import { AUTHENTICATED_PEER, OWN_PROJECT_MEMBER, relayAllowed } from './default-rules.js';
import { NO_TRUST, trustScope } from './trust-scope.js';

describe('default rules', () => {
  const trust = trustScope([{ name: 'bank', authority: 'Ibank', own: true }, { name: 'other', authority: 'Iother', own: false }]);
  const resource = { type: 'worker', name: 'echo' };
  const ask = (rule: typeof OWN_PROJECT_MEMBER, subject: { identifier: string; authority?: string } | undefined, scope = trust): boolean =>
    rule.decide({ subject, resource, action: 'send', trust: scope }).allowed;

  it('own-project member: only a credential from the node\'s own project counts', () => {
    expect(ask(OWN_PROJECT_MEMBER, { identifier: 'I1', authority: 'Ibank' })).toBe(true);
    expect(ask(OWN_PROJECT_MEMBER, { identifier: 'I1', authority: 'Iother' })).toBe(false);
    expect(ask(OWN_PROJECT_MEMBER, { identifier: 'I1' })).toBe(false);
    expect(ask(OWN_PROJECT_MEMBER, undefined)).toBe(false);
    expect(ask(OWN_PROJECT_MEMBER, { identifier: 'I1', authority: 'Ibank' }, NO_TRUST)).toBe(false);
  });

  it('authenticated peer: anyone who completed a handshake', () => {
    expect([ask(AUTHENTICATED_PEER, { identifier: 'I1' }), ask(AUTHENTICATED_PEER, undefined)]).toEqual([true, false]);
  });

  it('relayAllowed: exact names in a comma-separated list', () => {
    expect(relayAllowed('postgres', 'postgres')).toBe(true);
    expect(relayAllowed('mysql,postgres', 'postgres')).toBe(true);
    expect(relayAllowed('mysql, postgres', 'postgres')).toBe(true);
    expect(relayAllowed('postgres2', 'postgres')).toBe(false);
    expect(relayAllowed('', 'postgres')).toBe(false);
    expect(relayAllowed(undefined, 'postgres')).toBe(false);
  });
});
