import { describe, expect, it } from 'vitest';
import type { AccessControl } from '../../core/node/access-control.js';
import type { Message, PeerInfo } from '../../core/routing/message.js';
import { refusingRevoked } from './revoked-peers.js';

const peer = (identifier: string): PeerInfo => ({ identifier, attributes: {}, channel: 'sc-1' });
const request = (origin: Message['origin']): Parameters<AccessControl['isAuthorized']>[0] => ({
  address: 'outlet', direction: 'incoming', message: { onwardRoute: [], returnRoute: [], payload: new Uint8Array(0), ...(origin ? { origin } : {}) },
});

describe('refusingRevoked', () => {
  it('refuses a revoked channel peer whatever the control says, and passes the rest to the control', async () => {
    let asked = 0;
    const open: AccessControl = { isAuthorized: () => { asked++; return true; } };
    const check = (p: PeerInfo | undefined): boolean => p?.identifier === 'Irevoked';
    const guarded = refusingRevoked(open, check);
    expect(await guarded.isAuthorized(request({ via: 'channel', peer: peer('Irevoked') }))).toBe(false);
    expect(asked).toBe(0);
    expect(await guarded.isAuthorized(request({ via: 'channel', peer: peer('Imember') }))).toBe(true);
    expect(await guarded.isAuthorized(request(undefined))).toBe(true);
    expect(asked).toBe(2);
    const closed = refusingRevoked({ isAuthorized: () => false }, check);
    expect(await closed.isAuthorized(request({ via: 'channel', peer: peer('Imember') }))).toBe(false);
  });
});
