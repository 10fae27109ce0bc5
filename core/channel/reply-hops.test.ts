import { describe, expect, it } from 'vitest';
import { local, tcp } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import { encryptorAccessControl, ReplyHops } from './reply-hops.js';

const message = (via: 'local' | 'tcp' | 'channel', next?: string): Message => ({
  onwardRoute: next === undefined ? [local('sc-1')] : [local('sc-1'), local(next)],
  returnRoute: [],
  payload: new Uint8Array(0),
  origin: { via },
});

describe('encryptor access control', () => {
  it('allows local senders, and remote ones only towards a recorded reply address', () => {
    const hops = new ReplyHops(2);
    const control = encryptorAccessControl(hops);
    const decide = (m: Message): unknown => control.isAuthorized({ address: 'sc-1', direction: 'incoming', message: m });
    expect(decide(message('local', 'anything'))).toBe(true);
    expect(decide(message('tcp', 'reply-1'))).toBe(false);
    hops.record(local('reply-1'));
    expect(decide(message('tcp', 'reply-1'))).toBe(true);
    expect(decide(message('channel', 'reply-1'))).toBe(true);
    expect(decide(message('tcp'))).toBe(false);
    hops.record(tcp('127.0.0.1:1'));
    hops.record(local('reply-1'));
    hops.record(local('reply-3'));
    expect(hops.has(local('reply-1'))).toBe(true);
    expect(hops.has(tcp('127.0.0.1:1'))).toBe(false);
    expect(hops.has(local('127.0.0.1:1'))).toBe(false);
    hops.clear();
    expect(decide(message('tcp', 'reply-1'))).toBe(false);
  });
});
