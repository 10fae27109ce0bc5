import { describe, expect, it } from 'vitest';
import { decodeEnrollmentTicket } from './enrollment-ticket.js';
import { TicketRefusedError } from './ticket-refused-error.js';
import { authorityFixture } from './testing/authority-fixture.js';

describe('Authority', () => {
  it('enforces roles for tickets and members, auditing refusals', async () => {
    const f = await authorityFixture();
    try {
      const a = f.authority;
      await expect(a.createTicket('Istranger')).rejects.toThrow(/ticket.create refused: not a member/);
      const enrollerTicket = await a.createTicket('Iadmin', { enroller: true, mayGrant: ['component=db'], mayGrantRelays: ['postgres'] });
      expect((await a.redeemTicket(enrollerTicket.code, 'Ienroller')).role).toBe('enroller');
      await expect(a.createTicket('Ienroller', { enroller: true })).rejects.toThrow(/role enroller may not/);
      const t = await a.createTicket('Ienroller', { attributes: { component: 'db' }, relays: ['postgres'] });
      const decoded = decodeEnrollmentTicket(t.ticket);
      expect(decoded).toMatchObject({ projectName: 'bank', projectRoute: '/ip4/127.0.0.1/tcp/4000', expiresAt: t.expiresAt });
      const member = await a.redeemTicket(decoded.code, 'Ibank');
      expect(member).toMatchObject({ role: 'member', attributes: { component: 'db', relay: 'postgres' }, ticketHash: t.hash });
      await expect(a.createTicket('Ibank')).rejects.toThrow(/role member may not/);
      await expect(a.addMember('Ienroller', 'Ix')).rejects.toThrow(/member.add refused/);
      await expect(a.listMembers('Ibank')).rejects.toThrow(/member.list refused/);
      await a.addMember('Iadmin', 'Ix', { attributes: { team: 'ops' } });
      expect((await a.listMembers('Iadmin')).map((m) => m.identifier)).toEqual(['Iadmin', 'Ibank', 'Ienroller', 'Ix']);
      await expect(a.removeMember('Iadmin', 'Iadmin')).rejects.toThrow(/last admin/);
      expect(await a.removeMember('Iadmin', 'Ix')).toMatchObject({ identifier: 'Ix', kind: 'removed' });
      const refusals = (await f.store.readAudit()).filter((r) => r.type === 'access.refused').map((r) => r.fields.action);
      expect(refusals).toEqual(['ticket.create', 'ticket.create-enroller', 'ticket.create', 'member.add', 'member.list']);
    } finally { await f.cleanup(); }
  });

  it('refuses tickets specifically: unknown, used up, expired; usage count 3 admits exactly 3', async () => {
    let now = Date.now();
    const f = await authorityFixture({ clock: () => now });
    try {
      const a = f.authority;
      const t = await a.createTicket('Iadmin', { usageCount: 3, expiresInMs: 60_000 });
      for (const who of ['I1', 'I2', 'I3']) await a.redeemTicket(t.code, who);
      await expect(a.redeemTicket(t.code, 'I4')).rejects.toMatchObject({ reason: 'used-up', kind: 'unauthorized' });
      await expect(a.redeemTicket(new Uint8Array(32), 'I4')).rejects.toMatchObject({ reason: 'unknown', kind: 'not-found' });
      const short = await a.createTicket('Iadmin', { expiresInMs: 1000 });
      now += 1000;
      const error = await a.redeemTicket(short.code, 'I5').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TicketRefusedError);
      expect((error as Error).message).toBe('enrollment ticket refused: the ticket has expired');
      const refused = (await f.store.readAudit()).filter((r) => r.type === 'ticket.refused').map((r) => r.fields.reason);
      expect(refused).toEqual(['used-up', 'unknown', 'expired']);
    } finally { await f.cleanup(); }
  });

  it('redeems a ticket again for the identity that redeemed it (a retry), never for another one', async () => {
    const f = await authorityFixture();
    try {
      const a = f.authority;
      const t = await a.createTicket('Iadmin', { attributes: { component: 'db' }, usageCount: 2 });
      const first = await a.redeemTicket(t.code, 'Ibank');
      const again = await a.redeemTicket(t.code, 'Ibank');
      expect(again).toEqual(first);
      expect((await a.issueCredentialFor('Ibank')).credentialHash).toMatch(/^[0-9a-f]{64}$/);
      // The retry took no use: a second identity still gets the second use, a third none.
      await a.redeemTicket(t.code, 'Ianalysis');
      await expect(a.redeemTicket(t.code, 'Iother')).rejects.toMatchObject({ reason: 'used-up' });
      const redeemed = (await f.store.readAudit()).filter((r) => r.type === 'ticket.redeemed').map((r) => [r.actor, r.fields.retry ?? false, r.fields.usesLeft]);
      expect(redeemed).toEqual([['Ibank', false, 1], ['Ibank', true, 1], ['Ianalysis', false, 0]]);
      // A removed member is not let back in by its old ticket.
      await a.removeMember('Iadmin', 'Ibank');
      await expect(a.redeemTicket(t.code, 'Ibank')).rejects.toMatchObject({ reason: 'used-up' });
    } finally { await f.cleanup(); }
  });

  it('issues credentials with the ticket attributes, records who authorised them, and stops for removed members', async () => {
    const f = await authorityFixture();
    try {
      const a = f.authority;
      const t = await a.createTicket('Iadmin', { attributes: { component: 'analysis' } });
      await a.redeemTicket(t.code, 'Ianalysis');
      const issued = await a.issueCredentialFor('Ianalysis');
      expect(issued.credentialHash).toMatch(/^[0-9a-f]{64}$/);
      await a.addMember('Iadmin', 'Imanual', { attributes: { team: 'x' } });
      await a.issueCredentialFor('Imanual');
      const records = (await f.store.readAudit()).filter((r) => r.type === 'credential.issued');
      expect(records[0]?.fields).toMatchObject({ subject: 'Ianalysis', attributes: { component: 'analysis' }, ticketHash: t.hash, credentialHash: issued.credentialHash, expiresAt: issued.expiresAt });
      expect(records[1]?.fields).toMatchObject({ subject: 'Imanual', admin: 'Iadmin' });
      await a.removeMember('Iadmin', 'Ianalysis');
      await expect(a.issueCredentialFor('Ianalysis')).rejects.toThrow(/not a member/);
      expect((await f.store.readAudit()).at(-1)).toMatchObject({ type: 'credential.refused', fields: { subject: 'Ianalysis', reason: 'not a member' } });
    } finally { await f.cleanup(); }
  });

  it('refuses a credential whose member was removed while it was being signed', async () => {
    let removeDuringSigning: (() => Promise<unknown>) | undefined;
    const f = await authorityFixture({
      signCredential: async (_s, _a, ttl) => {
        await removeDuringSigning?.();
        return { credential: new Uint8Array([1, 2, 3]), attestation: new Uint8Array([4]), expiresAt: Date.now() + ttl };
      },
    });
    try {
      await f.authority.addMember('Iadmin', 'Ivictim');
      removeDuringSigning = () => f.authority.removeMember('Iadmin', 'Ivictim');
      await expect(f.authority.issueCredentialFor('Ivictim')).rejects.toThrow(/membership changed/);
      const log = await f.store.readAudit();
      expect(log.some((r) => r.type === 'credential.issued')).toBe(false);
      expect(log.at(-1)).toMatchObject({ type: 'credential.refused', fields: { reason: 'member removed' } });
    } finally { await f.cleanup(); }
  });
});
