import { describe, expect, it } from 'vitest';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { verifyAuditProof, type AuditConsistencyProof, type AuditInclusionProof } from './audit-proof.js';
import { auditLeafHash, auditRecordHash, checkpointDigest, type AuditCheckpoint } from './audit-record.js';
import { verifyAuditExport } from './audit-verify.js';
import { rootOf } from './merkle-tree.js';
import { authorityFixture, type AuthorityFixture } from './testing/authority-fixture.js';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A log of 1 + 4n records (ticket created, redeemed, member added, credential issued) with a checkpoint every 4 changes. */
async function populated(n: number): Promise<AuthorityFixture> {
  const f = await authorityFixture({ checkpointEvery: 4 });
  for (let i = 0; i < n; i++) {
    const t = await f.authority.createTicket('Iadmin', { attributes: { n: String(i) } });
    await f.authority.redeemTicket(t.code, `I${i}`);
    await f.authority.issueCredentialFor(`I${i}`);
  }
  return f;
}

describe('audit proofs', () => {
  it('every record has an inclusion proof that verifies offline; a changed record, a wrong position and a forged checkpoint fail', async () => {
    const f = await populated(6);
    try {
      const keys = [f.key.publicKey];
      const head = await f.store.auditHead();
      expect(head.seq).toBe(25);
      // Checkpoints extend the stored tree edge; the head equals the tree over every record.
      const records = await f.store.readAudit({ limit: 100 });
      const latest = await f.authority.checkpoint();
      expect(latest?.version).toBe(2);
      expect(latest?.root).toBe(Buffer.from(rootOf(records.map((r) => auditLeafHash(r.hash)))).toString('hex'));
      expect((await f.store.checkpoints()).filter((c) => c.version === 2).length).toBeGreaterThanOrEqual(4);

      for (let seq = 1; seq <= head.seq; seq++) {
        const proof = await f.authority.proveInclusion('Iadmin', seq);
        expect(verifyAuditProof(proof, keys, { authority: 'Iauthority' }), `record ${seq}`).toMatchObject({ ok: true, type: 'inclusion', seq, treeSize: 25 });
      }
      const proof = await f.authority.proveInclusion('Iadmin', 5);
      expect(proof.record).toMatchObject({ type: 'credential.issued', fields: { subject: 'I0', credentialHash: expect.stringMatching(/^[0-9a-f]{64}$/) } });

      // A changed record no longer matches its hash; re-hashing it does not lead to the tree head.
      const changed = clone(proof) as { record: Record<string, unknown> } & AuditInclusionProof;
      (changed.record.fields as Record<string, unknown>).subject = 'Imallory';
      expect(verifyAuditProof(changed, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not match its hash/) });
      (changed.record as Record<string, unknown>).hash = auditRecordHash(changed.record as never);
      expect(verifyAuditProof(changed, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not in the log/) });

      // A wrong position: the proof of record 5 claimed for record 6, or record 6 shown with record 5's path.
      const moved = clone(proof) as AuditInclusionProof & { leafIndex: number };
      moved.leafIndex = 5;
      expect(verifyAuditProof(moved, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/position/) });
      const other = await f.authority.proveInclusion('Iadmin', 6);
      const spliced = { ...clone(other), path: proof.path };
      expect(verifyAuditProof(spliced, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not in the log/) });

      // A forged checkpoint: another key, or a changed tree head under the authority's signature.
      const forger = SoftwareSigningKey.generate('ed25519');
      expect(verifyAuditProof(proof, [forger.publicKey])).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed by the authority/) });
      const bentRoot = clone(proof) as AuditInclusionProof & { checkpoint: { root: string } };
      bentRoot.checkpoint.root = bentRoot.checkpoint.root.replace(/^./, (c) => (c === '0' ? '1' : '0'));
      expect(verifyAuditProof(bentRoot, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed by the authority/) });
      const c = proof.checkpoint;
      const body: AuditCheckpoint = { version: 2, authority: c.authority, seq: c.seq, head: c.head, root: Buffer.alloc(32, 7).toString('hex'), time: c.time };
      const forgedCheckpoint = { ...c, root: body.root, signature: { type: 'ed25519', bytes: Buffer.from(forger.signDigest(checkpointDigest(body)).bytes).toString('base64url') } };
      expect(verifyAuditProof({ ...proof, checkpoint: forgedCheckpoint }, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not signed/) });
      expect(verifyAuditProof(proof, keys, { authority: 'Iother' })).toMatchObject({ ok: false, reason: expect.stringMatching(/not Iother/) });

      // Only admins may ask.
      await expect(f.authority.proveInclusion('I0', 1)).rejects.toThrow(/refused/);
      await expect(f.authority.proveInclusion('Iadmin', 26, 25)).rejects.toThrow(/not covered/);
    } finally { await f.cleanup(); }
  });

  it('a consistency proof between two checkpoints verifies offline and fails for a forged or rewritten older log', async () => {
    const f = await populated(3);
    try {
      const keys = [f.key.publicKey];
      const first = await f.authority.checkpoint();
      for (let i = 0; i < 4; i++) await f.authority.createTicket('Iadmin');
      const second = await f.authority.checkpoint();
      expect([first?.seq, second?.seq]).toEqual([13, 17]);
      const proof = await f.authority.proveConsistency('Iadmin', 13, 17);
      expect(verifyAuditProof(proof, keys)).toMatchObject({ ok: true, type: 'consistency', first: 13, second: 17 });
      for (const c of await f.store.checkpoints()) {
        if (c.root === undefined || c.seq > 17) continue;
        expect(verifyAuditProof(await f.authority.proveConsistency('Iadmin', c.seq, 17), keys), `${c.seq} -> 17`).toMatchObject({ ok: true });
      }

      // A log rewritten before the first checkpoint: its tree head differs, so the authority's signature fails or the path does.
      const forger = SoftwareSigningKey.generate('ed25519');
      const rewritten = clone(proof) as AuditConsistencyProof & { first: { root: string; signature: { bytes: string } } };
      const body: AuditCheckpoint = { version: 2, authority: proof.first.authority, seq: 13, head: proof.first.head, root: Buffer.alloc(32, 1).toString('hex'), time: proof.first.time };
      rewritten.first.root = body.root!;
      expect(verifyAuditProof(rewritten, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/first checkpoint .* not signed/) });
      rewritten.first.signature.bytes = Buffer.from(forger.signDigest(checkpointDigest(body)).bytes).toString('base64url');
      expect(verifyAuditProof(rewritten, [...keys, forger.publicKey])).toMatchObject({ ok: false, reason: expect.stringMatching(/does not extend/) });
      const swapped = { ...proof, first: proof.second, second: proof.first };
      expect(verifyAuditProof(swapped, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/newer than the second/) });
      const bent = clone(proof) as AuditConsistencyProof & { path: string[] };
      bent.path[0] = bent.path[0]!.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a'));
      expect(verifyAuditProof(bent, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/does not extend/) });
      await expect(f.authority.proveConsistency('Iadmin', 14, 17)).rejects.toThrow(/no checkpoint at record 14/);
    } finally { await f.cleanup(); }
  });

  it('version 1 checkpoints still verify; proofs need a tree head, and the head gets one at the next checkpoint', async () => {
    const f = await authorityFixture({ checkpointEvery: 1000 });
    try {
      await f.authority.createTicket('Iadmin');
      const head = await f.store.auditHead();
      // A checkpoint as earlier versions signed it: no tree head.
      const v1: AuditCheckpoint = { version: 1, authority: 'Iauthority', seq: head.seq, head: head.hash, time: Date.now() };
      await f.store.saveCheckpoint({ ...v1, signature: f.key.signDigest(checkpointDigest(v1)) });
      const lines = (await f.store.readAudit()).map((r) => JSON.stringify({ kind: 'record', ...r }));
      const { checkpointLine } = await import('./audit-export.js');
      const [stored] = await f.store.checkpoints();
      const legacy = [JSON.stringify({ kind: 'header', format: 'symbolon-audit-export', version: 1, authority: 'Iauthority', exportedAt: 1 }), ...lines, checkpointLine(stored!)];
      expect(verifyAuditExport(legacy, [f.key.publicKey])).toMatchObject({ ok: true, records: 2, checkpoints: 1 });
      await expect(f.authority.proveInclusion('Iadmin', 1, head.seq)).rejects.toThrow(/predates Merkle tree heads/);

      // The next checkpoint request replaces it at the same seq with a version 2 one.
      const upgraded = await f.authority.checkpoint();
      expect(upgraded).toMatchObject({ version: 2, seq: head.seq });
      const exported = await f.authority.exportAudit();
      expect(verifyAuditExport(exported, [f.key.publicKey])).toMatchObject({ ok: true, records: 2, checkpoints: 1 });
      expect(verifyAuditProof(await f.authority.proveInclusion('Iadmin', 1, head.seq), [f.key.publicKey])).toMatchObject({ ok: true });

      // An export whose checkpoint names a tree head that the records do not give fails.
      const forgedRoot = exported.map((l) => (l.includes('"kind":"checkpoint"') ? l.replace(/"root":"[0-9a-f]{64}"/, `"root":"${'ab'.repeat(32)}"`) : l));
      expect(verifyAuditExport(forgedRoot, [f.key.publicKey])).toMatchObject({ ok: false, reason: expect.stringMatching(/different Merkle tree head/) });
    } finally { await f.cleanup(); }
  });
});
