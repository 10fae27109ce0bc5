import { describe, expect, it } from 'vitest';
import { local, tcp } from '../routing/address.js';
import type { Message, PeerInfo } from '../routing/message.js';
import { PeerLock } from './peer-lock.js';

const peer = (identifier: string): PeerInfo => ({ identifier, attributes: {}, channel: 'enc' });
const msg = (head: string, identifier?: string): Message => ({
  onwardRoute: [local('s')],
  returnRoute: [local(head), local('x')],
  payload: new Uint8Array(0),
  ...(identifier ? { origin: { via: 'channel' as const, peer: peer(identifier) } } : {}),
});
const req = (message: Message) => ({ address: 's', direction: 'incoming' as const, message });

describe('PeerLock', () => {
  it('admits everything until locked', () => {
    const l = new PeerLock();
    expect(l.isAuthorized(req(msg('a')))).toBe(true);
    expect(l.isLocked).toBe(false);
  });

  it('pins the return route head and the peer identifier', () => {
    const l = PeerLock.lockedTo(msg('enc1', 'Ialice'));
    expect(l.isAuthorized(req(msg('enc1', 'Ialice')))).toBe(true);
    expect(l.isAuthorized(req(msg('enc2', 'Ialice')))).toBe(false);
    expect(l.isAuthorized(req(msg('enc1', 'Imallory')))).toBe(false);
    expect(l.isAuthorized(req(msg('enc1')))).toBe(false);
    const anon = PeerLock.lockedTo(msg('conn'));
    expect(anon.isAuthorized(req(msg('conn')))).toBe(true);
    expect(anon.isAuthorized(req(msg('conn', 'Ialice')))).toBe(false);
    const tcpHead: Message = { onwardRoute: [], returnRoute: [tcp('127.0.0.1:1')], payload: new Uint8Array(0) };
    expect(anon.isAuthorized(req(tcpHead))).toBe(false);
    expect(anon.isAuthorized(req({ ...tcpHead, returnRoute: [] }))).toBe(false);
  });
});
