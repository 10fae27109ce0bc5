import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTreeMismatchError, buildConsistencyProof, buildInclusionProof, verifyAuditProof } from './audit-proof.js';
import type { StoredCheckpoint } from './audit-record.js';
import { CACHED_SUBTREE_MIN_LEVEL, cachedRangeRoots } from './audit-subtrees.js';
import { auditLeaves } from './audit-tree.js';
import { consistencyRanges, inclusionRanges, rangeRoots } from './merkle-tree.js';
import { appendAuditRecords as appendRecords } from './testing/audit-records.js';
import { authorityFixture, type AuthorityFixture } from './testing/authority-fixture.js';

const hex = (path: readonly Uint8Array[]): string[] => path.map((p) => Buffer.from(p).toString('hex'));

describe('cached Merkle subtree heads', () => {
  let f: AuthorityFixture;
  let db: Database.Database;
  const checkpoints: StoredCheckpoint[] = [];

  /** The proof path computed from every leaf, as before the cache: the reference. */
  const fromLeaves = async (ranges: ReturnType<typeof inclusionRanges>, size: number): Promise<string[]> => hex(await rangeRoots(ranges, auditLeaves(f.store, 0, size)));
  const subtreeRows = (): number => (db.prepare(`SELECT count(*) AS n FROM audit_subtrees`).get() as { n: number }).n;

  beforeAll(async () => {
    f = await authorityFixture({ checkpointEvery: 1_000_000 });
    // Checkpoints at uneven sizes, each continuing the tree of the one before.
    for (const count of [700, 810, 1_511]) {
      appendRecords(f.dbPath, count);
      const c = await f.authority.checkpoint();
      checkpoints.push(c as StoredCheckpoint);
    }
    db = new Database(f.dbPath);
  });
  afterAll(async () => {
    db?.close();
    await f?.cleanup();
  });

  it('fills the cache as checkpoints hash the log: every complete subtree of 256 records and up', () => {
    const size = checkpoints.at(-1)!.seq;
    expect(size).toBe(3_022);
    let expected = 0;
    for (let level = CACHED_SUBTREE_MIN_LEVEL; 2 ** level <= size; level++) expected += Math.floor(size / 2 ** level);
    expect(subtreeRows()).toBe(expected);
  });

  it('gives the same inclusion and consistency proofs as hashing every record, reading only the cache and a few blocks', async () => {
    const keys = [f.key.publicKey];
    const head = checkpoints.at(-1)!;
    for (const checkpoint of checkpoints) {
      for (const seq of [1, 2, 255, 256, 257, 512, 700, 701, 1024, 1025, 1511, 2048, 3000, 3022].filter((s) => s <= checkpoint.seq)) {
        const proof = await buildInclusionProof(f.store, seq, checkpoint);
        expect(proof.path, `record ${seq} at ${checkpoint.seq}`).toEqual(await fromLeaves(inclusionRanges(seq - 1, checkpoint.seq), checkpoint.seq));
        expect(verifyAuditProof(JSON.parse(JSON.stringify(proof)), keys).ok).toBe(true);
      }
      const proof = await buildConsistencyProof(f.store, checkpoint.seq, head.seq);
      expect(proof.path).toEqual(await fromLeaves(consistencyRanges(checkpoint.seq, head.seq), head.seq));
      expect(verifyAuditProof(JSON.parse(JSON.stringify(proof)), keys).ok).toBe(true);
    }
    // The path of record 1500 in the 3022-record tree: its 256-block read once, the rest from the cache.
    const used = await cachedRangeRoots(f.store, inclusionRanges(1_499, head.seq));
    expect(used.hashed).toBe(0);
    expect(used.cached).toBeGreaterThanOrEqual(3);
  });

  it('fills a missing cache on demand (a log whose tree was hashed before the cache existed)', async () => {
    const before = subtreeRows();
    db.exec(`DELETE FROM audit_subtrees`);
    const head = checkpoints.at(-1)!;
    const proof = await buildInclusionProof(f.store, 77, head);
    expect(proof.path).toEqual(await fromLeaves(inclusionRanges(76, head.seq), head.seq));
    expect(subtreeRows()).toBeGreaterThan(0);
    // Every subtree that proof needed was hashed once and cached with the subtrees inside it.
    expect((await cachedRangeRoots(f.store, inclusionRanges(76, head.seq))).hashed).toBe(0);
    expect(subtreeRows()).toBeLessThanOrEqual(before);
  });

  it('detects a changed cache entry by the signed tree head, builds the proof from the records and repairs the entry', async () => {
    const head = checkpoints.at(-1)!;
    // Record 2000's path holds the head of records 1 to 1024 (level 10, index 0).
    await cachedRangeRoots(f.store, inclusionRanges(1_999, head.seq));
    const row = (): { hash: string } | undefined => db.prepare(`SELECT hash FROM audit_subtrees WHERE level = 10 AND idx = 0`).get() as { hash: string } | undefined;
    const good = row()!.hash;
    db.prepare(`UPDATE audit_subtrees SET hash = ? WHERE level = 10 AND idx = 0`).run('ab'.repeat(32));
    const mismatches: number[] = [];
    const proof = await buildInclusionProof(f.store, 2_000, head, { onCacheMismatch: (size) => mismatches.push(size) });
    expect(mismatches).toEqual([head.seq]);
    expect(proof.path).toEqual(await fromLeaves(inclusionRanges(1_999, head.seq), head.seq));
    expect(proof.path).not.toContain('ab'.repeat(32));
    expect(verifyAuditProof(JSON.parse(JSON.stringify(proof)), [f.key.publicKey]).ok).toBe(true);
    expect(row()!.hash).toBe(good);

    // The same for a consistency proof, with a malformed entry.
    db.prepare(`UPDATE audit_subtrees SET hash = ? WHERE level = 10 AND idx = 0`).run('not hex');
    const consistency = await buildConsistencyProof(f.store, checkpoints[1]!.seq, head.seq, { onCacheMismatch: (size) => mismatches.push(size) });
    expect(consistency.path).toEqual(await fromLeaves(consistencyRanges(checkpoints[1]!.seq, head.seq), head.seq));
    expect(row()!.hash).toBe(good);
  });

  it('refuses a proof when the records themselves no longer lead to the signed tree head', async () => {
    const head = checkpoints.at(-1)!;
    const original = (db.prepare(`SELECT hash FROM audit_records WHERE seq = 5`).get() as { hash: string }).hash;
    db.prepare(`UPDATE audit_records SET hash = ? WHERE seq = 5`).run('cd'.repeat(32));
    db.prepare(`UPDATE audit_subtrees SET hash = ? WHERE level = 10 AND idx = 0`).run('ab'.repeat(32));
    try {
      await expect(buildInclusionProof(f.store, 2_000, head)).rejects.toThrow(AuditTreeMismatchError);
      await expect(buildInclusionProof(f.store, 2_000, head)).rejects.toThrow(/do not lead to the tree head the authority signed/);
    } finally {
      db.prepare(`UPDATE audit_records SET hash = ? WHERE seq = 5`).run(original);
    }
    expect((await buildInclusionProof(f.store, 2_000, head)).path).toEqual(await fromLeaves(inclusionRanges(1_999, head.seq), head.seq));
  });
});
