import { describe, expect, it } from 'vitest';
import { RefusalLimiter } from './refusal-limiter.js';
import { authorityFixture } from './testing/authority-fixture.js';

describe('RefusalLimiter', () => {
  it('records the first refusal of a kind per window and reports the rest as one aggregate after it', () => {
    let now = 1_000;
    const limiter = new RefusalLimiter({ windowMs: 60_000, maxRecordsPerWindow: 3, clock: () => now });
    expect(limiter.admit('credential.refused', 'Ia', 'not a member')).toBe(true);
    for (let i = 0; i < 500; i++) expect(limiter.admit('credential.refused', 'Ia', 'not a member')).toBe(false);
    expect(limiter.admit('credential.refused', 'Ia', 'suspended')).toBe(true);
    expect(limiter.drain()).toEqual([]);
    now += 60_000;
    expect(limiter.drain()).toEqual([{ type: 'credential.refused', actor: 'Ia', reason: 'not a member', count: 500, identities: 1, firstAt: 1_000, lastAt: 1_000 }]);
    expect(limiter.pending).toBe(false);
    expect(limiter.admit('credential.refused', 'Ia', 'not a member')).toBe(true);
  });

  it('spends at most maxRecordsPerWindow single records on fresh identities, then counts them per reason', () => {
    let now = 0;
    const limiter = new RefusalLimiter({ windowMs: 1_000, maxRecordsPerWindow: 3, clock: () => now });
    const admitted = Array.from({ length: 1_000 }, (_, i) => limiter.admit('access.refused', `I${i}`, 'member.list: not a member')).filter(Boolean);
    expect(admitted).toHaveLength(3);
    expect(limiter.drain(true)).toEqual([{ type: 'access.refused', actor: '*', reason: 'member.list: not a member', count: 997, identities: 997, firstAt: 0, lastAt: 0 }]);
    now += 1_000;
    expect(limiter.admit('access.refused', 'Inew', 'member.list: not a member')).toBe(true);
  });
});

describe('Authority refusal records', () => {
  it('5,000 identical refusals and 5,000 from fresh identities add a bounded number of records, aggregated with counts, and the log still verifies', async () => {
    let now = Date.now();
    const f = await authorityFixture({ clock: () => now, refusals: { windowMs: 60_000, maxRecordsPerWindow: 50 } });
    try {
      const a = f.authority;
      const before = (await f.store.auditHead()).seq;
      for (let i = 0; i < 5_000; i++) await a.issueCredentialFor('Imallory').catch(() => undefined);
      for (let i = 0; i < 5_000; i++) await a.listMembers(`Istranger${i}`).catch(() => undefined);
      for (let i = 0; i < 200; i++) await a.redeemTicket(new Uint8Array(32).fill(i % 256), 'Imallory').catch(() => undefined);
      expect((await f.store.auditHead()).seq - before).toBe(50);
      now += 60_000;
      await a.flushRefusals();
      const aggregated = (await f.store.readAudit({ afterSeq: before, limit: 1000 })).filter((r) => r.type === 'refusals.aggregated');
      expect(aggregated.map((r) => r.fields)).toEqual(expect.arrayContaining([
        expect.objectContaining({ refusedType: 'credential.refused', reason: 'not a member', count: 4_999, subject: 'Imallory' }),
        expect.objectContaining({ refusedType: 'access.refused', reason: 'member.list: not a member', count: 5_000 - 49, identities: 5_000 - 49 }),
        expect.objectContaining({ refusedType: 'ticket.refused', reason: 'unknown', count: 200, identities: 1 }),
      ]));
      expect((await f.store.auditHead()).seq - before).toBe(53);
      const { verifyAuditExport } = await import('./audit-verify.js');
      expect(verifyAuditExport(await a.exportAudit(), [f.key.publicKey])).toMatchObject({ ok: true });
      await a.close();
    } finally { await f.cleanup(); }
  }, 60_000);
});
