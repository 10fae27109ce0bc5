import { describe, expect, it } from 'vitest';
import { authorityFixture } from './testing/authority-fixture.js';

describe('enroller scope', () => {
  it('an enroller grants only what its ticket listed, never redeems its own tickets, and every ticket names its creator', async () => {
    const f = await authorityFixture();
    try {
      const a = f.authority;
      await expect(a.createTicket('Iadmin', { mayGrant: ['component=db'] })).rejects.toThrow(/apply to enroller tickets only/);
      await expect(a.createTicket('Iadmin', { enroller: true, mayGrant: ['relay=postgres'] })).rejects.toThrow(/--may-grant-relay/);
      await expect(a.createTicket('Iadmin', { enroller: true, mayGrant: ['component'] })).rejects.toThrow(/NAME=VALUE or NAME=\*/);
      const scoped = await a.createTicket('Iadmin', { enroller: true, mayGrant: ['component=analysis', 'team=*'], mayGrantRelays: ['postgres'] });
      expect(await a.redeemTicket(scoped.code, 'Ienroller')).toMatchObject({ role: 'enroller', grants: { attributes: ['component=analysis', 'team=*'], relays: ['postgres'] } });
      const bare = await a.createTicket('Iadmin', { enroller: true });
      expect((await a.redeemTicket(bare.code, 'Ibare')).grants).toBeUndefined();

      await expect(a.createTicket('Ibare', { attributes: { component: 'analysis' } })).rejects.toThrow(/outside the enroller's scope: attribute component=analysis/);
      await expect(a.createTicket('Ibare', { relays: ['postgres'] })).rejects.toThrow(/outside the enroller's scope: relay postgres/);
      await expect(a.createTicket('Ienroller', { attributes: { component: 'db' } })).rejects.toThrow(/attribute component=db/);
      await expect(a.createTicket('Ienroller', { attributes: { relay: 'postgres' } })).rejects.toThrow(/relay names are granted as relays/);
      await expect(a.createTicket('Ienroller', { relays: ['mysql'] })).rejects.toThrow(/relay mysql/);
      const inScope = await a.createTicket('Ienroller', { attributes: { component: 'analysis', team: 'blue' }, relays: ['postgres'], usageCount: 2 });
      expect((await a.createTicket('Ibare')).usageCount).toBe(1);

      await expect(a.redeemTicket(inScope.code, 'Ienroller')).rejects.toMatchObject({ reason: 'own-ticket' });
      expect((await a.getMember('Ienroller', 'Ienroller'))?.attributes).toEqual({});
      expect(await a.redeemTicket(inScope.code, 'Iworker')).toMatchObject({ role: 'member', attributes: { component: 'analysis', team: 'blue', relay: 'postgres' } });
      const adminTicket = await a.createTicket('Iadmin');
      await expect(a.redeemTicket(adminTicket.code, 'Iadmin')).rejects.toMatchObject({ reason: 'own-ticket' });

      const log = await f.store.readAudit({ limit: 1000 });
      const created = log.filter((r) => r.type === 'ticket.created');
      expect(created.every((r) => r.fields.createdBy === r.actor)).toBe(true);
      expect(created.find((r) => r.fields.ticketHash === scoped.hash)?.fields).toMatchObject({ enroller: true, mayGrant: ['component=analysis', 'team=*'], mayGrantRelays: ['postgres'] });
      expect(log.find((r) => r.type === 'ticket.redeemed' && r.fields.ticketHash === inScope.hash)?.fields).toMatchObject({ createdBy: 'Ienroller', subject: 'Iworker' });
      expect(log.filter((r) => r.type === 'ticket.refused').map((r) => r.fields.reason)).toEqual(['own-ticket', 'own-ticket']);
      expect(log.filter((r) => r.type === 'access.refused').map((r) => r.fields.reason)).toEqual([
        "outside the enroller's scope: attribute component=analysis", "outside the enroller's scope: relay postgres",
        "outside the enroller's scope: attribute component=db", "outside the enroller's scope: attribute relay=postgres (relay names are granted as relays)",
        "outside the enroller's scope: relay mysql",
      ]);
    } finally { await f.cleanup(); }
  });

  it('a ticket stops working when its creator is removed, suspended or no longer covers it', async () => {
    const f = await authorityFixture();
    try {
      const a = f.authority;
      await a.addMember('Iadmin', 'Ienroller', { role: 'enroller', grants: { attributes: ['component=analysis'], relays: [] } });
      await expect(a.addMember('Iadmin', 'Im', { grants: { attributes: ['component=x'], relays: [] } })).rejects.toThrow(/enrollers only/);
      const t1 = await a.createTicket('Ienroller', { attributes: { component: 'analysis' } });
      const t2 = await a.createTicket('Ienroller', { attributes: { component: 'analysis' } });
      const t3 = await a.createTicket('Ienroller', { attributes: { component: 'analysis' } });
      await a.addMember('Iadmin', 'Ienroller', { role: 'enroller' });
      await expect(a.redeemTicket(t1.code, 'Ix')).rejects.toMatchObject({ reason: 'creator-not-authorised' });
      await a.addMember('Iadmin', 'Ienroller', { role: 'enroller', grants: { attributes: ['component=*'], relays: [] } });
      expect((await a.redeemTicket(t1.code, 'Ix')).attributes).toEqual({ component: 'analysis' });
      await a.suspendMember('Iadmin', 'Ienroller');
      await expect(a.redeemTicket(t2.code, 'Iy')).rejects.toMatchObject({ reason: 'creator-not-authorised' });
      await expect(a.createTicket('Ienroller', { attributes: { component: 'analysis' } })).rejects.toThrow(/ticket.create refused: suspended/);
      await a.removeMember('Iadmin', 'Ienroller');
      await expect(a.redeemTicket(t3.code, 'Iz')).rejects.toMatchObject({ reason: 'creator-not-authorised', message: expect.stringMatching(/creator may no longer grant/) });
    } finally { await f.cleanup(); }
  });
});
