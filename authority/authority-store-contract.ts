import { describe, expect, it } from 'vitest';
import { auditRecordHash, GENESIS_HASH } from './audit-record.js';
import type { AuthorityStore, TicketRecord } from './authority-store.js';
import { generateTicketCode, ticketCodeHash } from './ticket-code.js';

/** A store under test and a second, independent instance on the same database. */
export interface StoreFixture {
  readonly store: AuthorityStore;
  /** Opens another instance on the same database (another connection pool); absent when the driver allows one per process. */
  openAnother?(): Promise<AuthorityStore>;
  cleanup(): Promise<void>;
}

function ticket(overrides: Partial<TicketRecord> = {}): TicketRecord {
  const now = Date.now();
  return {
    hash: ticketCodeHash(generateTicketCode()), attributes: { component: 'db' }, usageCount: 1, usesLeft: 1,
    expiresAt: now + 600_000, relays: ['postgres'], enroller: false, createdBy: 'Iadmin', createdAt: now, ...overrides,
  };
}

/** The behaviour every AuthorityStore implementation must show. */
export function describeAuthorityStore(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name} authority store`, () => {
    it('stores tickets, redeems them with usage counts and names each refusal', async () => {
      const f = await open();
      try {
        const t3 = ticket({ usageCount: 3, usesLeft: 3 });
        const expired = ticket({ expiresAt: Date.now() - 1 });
        await f.store.withTransaction(async (tx) => { await tx.createTicket(t3); await tx.createTicket(expired); });
        expect(await f.store.withTransaction((tx) => tx.getTicket(t3.hash))).toEqual(t3);
        const outcomes = [];
        for (let i = 0; i < 4; i++) outcomes.push(await f.store.withTransaction((tx) => tx.redeemTicket(t3.hash, `I${i}`, Date.now())));
        expect(outcomes.map((o) => (o.ok ? 'ok' : o.reason))).toEqual(['ok', 'ok', 'ok', 'used-up']);
        expect(await f.store.withTransaction((tx) => tx.redeemTicket(expired.hash, 'Ix', Date.now()))).toEqual({ ok: false, reason: 'expired' });
        expect(await f.store.withTransaction((tx) => tx.redeemTicket('ab'.repeat(32), 'Ix', Date.now()))).toEqual({ ok: false, reason: 'unknown' });
        const types = (await f.store.readAudit()).map((r) => r.type);
        // A refused redemption changes nothing: the Authority audits it (rate-limited), not the store.
        expect(types).toEqual(['ticket.created', 'ticket.created', 'ticket.redeemed', 'ticket.redeemed', 'ticket.redeemed']);
        expect(await f.store.withTransaction((tx) => tx.redeemTicket(t3.hash, 'Iadmin', Date.now()))).toEqual({ ok: false, reason: 'own-ticket' });
      } finally { await f.cleanup(); }
    });

    it('keeps cached Merkle subtree heads (saved, replaced at the same position, read by position) and reads record hashes in pages', async () => {
      const f = await open();
      try {
        const big = 2 ** 40 + 3;
        await f.store.saveAuditSubtrees([{ level: 8, index: 0, hash: 'aa'.repeat(32) }, { level: 8, index: big, hash: 'bb'.repeat(32) }, { level: 9, index: 0, hash: 'cc'.repeat(32) }]);
        await f.store.saveAuditSubtrees([{ level: 8, index: 0, hash: 'dd'.repeat(32) }]);
        const got = await f.store.auditSubtrees([{ level: 8, index: 0 }, { level: 8, index: big }, { level: 10, index: 0 }, ...Array.from({ length: 150 }, (_, i) => ({ level: 20, index: i }))]);
        expect(got.sort((a, b) => a.index - b.index)).toEqual([{ level: 8, index: 0, hash: 'dd'.repeat(32) }, { level: 8, index: big, hash: 'bb'.repeat(32) }]);
        expect(await f.store.auditSubtrees([])).toEqual([]);
        // Hashing the tree reads only each record's seq and hash.
        await f.store.withTransaction(async (tx) => { await tx.createTicket(ticket()); await tx.createTicket(ticket()); await tx.createTicket(ticket()); });
        const records = await f.store.readAudit();
        expect(await f.store.readAuditHashes(0, 10)).toEqual(records.map((r) => ({ seq: r.seq, hash: r.hash })));
        expect(await f.store.readAuditHashes(1, 1)).toEqual([{ seq: 2, hash: records[1]!.hash }]);
      } finally { await f.cleanup(); }
    });

    it('registers signing keys, renews their attestation, withdraws them once, all audited', async () => {
      const f = await open();
      try {
        const signer = {
          keyId: 'K' + 'ab'.repeat(16), replica: 'bank-a', keyType: 'ed25519' as const, publicKey: '11'.repeat(32), attestation: 'a1a2', attestedAt: 10, expiresAt: 1_000,
        };
        await f.store.withTransaction((tx) => tx.putSigner(signer, 'Iauth'));
        await f.store.withTransaction((tx) => tx.putSigner({ ...signer, attestation: 'b1b2', attestedAt: 20, expiresAt: 2_000 }, 'Iauth'));
        expect(await f.store.withTransaction((tx) => tx.getSigner(signer.keyId))).toEqual({ ...signer, attestation: 'b1b2', attestedAt: 20, expiresAt: 2_000 });
        expect(await f.store.withTransaction((tx) => tx.withdrawSigner(signer.keyId, 'Iadmin', 30))).toMatchObject({ withdrawnAt: 30, withdrawnBy: 'Iadmin' });
        expect(await f.store.withTransaction((tx) => tx.withdrawSigner(signer.keyId, 'Iother', 40))).toMatchObject({ withdrawnAt: 30, withdrawnBy: 'Iadmin' });
        expect(await f.store.withTransaction((tx) => tx.withdrawSigner('K' + 'cd'.repeat(16), 'Iadmin', 40))).toBeUndefined();
        // A withdrawn key stays withdrawn whatever is registered for it.
        await f.store.withTransaction((tx) => tx.putSigner({ ...signer, attestation: 'c1c2', attestedAt: 50 }, 'Iauth'));
        expect(await f.store.listSigners()).toEqual([{ ...signer, attestation: 'b1b2', attestedAt: 20, expiresAt: 2_000, withdrawnAt: 30, withdrawnBy: 'Iadmin' }]);
        expect((await f.store.readAudit()).map((r) => r.type)).toEqual(['signer.attested', 'signer.attested', 'signer.withdrawn']);
      } finally { await f.cleanup(); }
    });

    it('adds, lists and removes members, and records credentials, all audited and chained', async () => {
      const f = await open();
      try {
        await f.store.withTransaction(async (tx) => {
          await tx.putMember({ identifier: 'Ib', attributes: { a: '1' }, role: 'member', addedBy: 'Iadmin', addedAt: 5 }, 'Iadmin');
          await tx.putMember({ identifier: 'Ia', attributes: {}, role: 'admin', addedBy: 'Iauth', addedAt: 4, ticketHash: 'cd'.repeat(32) }, 'Iauth');
        });
        expect((await f.store.withTransaction((tx) => tx.listMembers())).map((m) => m.identifier)).toEqual(['Ia', 'Ib']);
        await f.store.withTransaction((tx) => tx.recordCredentialIssued({ subject: 'Ib', attributes: { a: '1' }, createdAt: 1, expiresAt: 2, credentialHash: 'ef'.repeat(32), authorisedBy: { admin: 'Iadmin' } }, 'Iauth'));
        expect((await f.store.withTransaction((tx) => tx.removeMember('Ib', 'Iadmin')))?.identifier).toBe('Ib');
        expect(await f.store.withTransaction((tx) => tx.removeMember('Ib', 'Iadmin'))).toBeUndefined();
        expect(await f.store.withTransaction((tx) => tx.getMember('Ib'))).toBeUndefined();
        await expect(f.store.withTransaction(async (tx) => { await tx.removeMember('Ia', 'Iadmin'); throw new Error('boom'); })).rejects.toThrow('boom');
        expect(await f.store.withTransaction((tx) => tx.getMember('Ia'))).toMatchObject({ role: 'admin', ticketHash: 'cd'.repeat(32) });
        const log = await f.store.readAudit();
        expect(log.map((r) => r.type)).toEqual(['member.added', 'member.added', 'credential.issued', 'member.removed']);
        let prev = GENESIS_HASH;
        for (const [i, r] of log.entries()) {
          expect(r.seq).toBe(i + 1);
          expect(r.prevHash).toBe(prev);
          expect(auditRecordHash(r)).toBe(r.hash);
          prev = r.hash;
        }
        expect(await f.store.auditHead()).toEqual({ seq: 4, hash: prev });
        expect((await f.store.readAudit({ subject: 'Ib' })).map((r) => r.seq)).toEqual([1, 3, 4]);
      } finally { await f.cleanup(); }
    });

    it('lets exactly one of 50 concurrent redemptions of a single-use ticket succeed', async () => {
      const f = await open();
      const other = f.openAnother === undefined ? f.store : await f.openAnother();
      try {
        const t = ticket();
        await f.store.withTransaction((tx) => tx.createTicket(t));
        const attempts = Array.from({ length: 50 }, (_, i) =>
          (i % 2 === 0 ? f.store : other).withTransaction((tx) => tx.redeemTicket(t.hash, `I${i}`, Date.now())));
        const results = await Promise.all(attempts);
        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok && r.reason === 'used-up')).toHaveLength(49);
        const log = await other.readAudit();
        expect(log.filter((r) => r.type === 'ticket.redeemed')).toHaveLength(1);
        expect(log.map((r) => r.seq)).toEqual([1, 2]);
        for (let i = 1; i < log.length; i++) expect(log[i]?.prevHash).toBe(log[i - 1]?.hash);
      } finally { if (other !== f.store) await other.close(); await f.cleanup(); }
    });
  });
}
