import { describe, expect, it } from 'vitest';
import type { Authority, AuditExportCursor } from './authority.js';
import { verifyAuditExport, verifyAuditExports } from './audit-verify.js';
import { auditSample } from './testing/audit-sample.js';

/** Every page of an export from `first` (a page cursor), as `audit export` reads them. */
async function exportFrom(authority: Authority, first: AuditExportCursor = {}): Promise<string[]> {
  const lines: string[] = [];
  let cursor: AuditExportCursor = { ...first, maxBytes: 2000 };
  for (;;) {
    const page = await authority.exportAuditPage('Iadmin', cursor);
    lines.push(...page.lines);
    if (page.next === undefined) return lines;
    cursor = { upToSeq: page.upToSeq, afterSeq: page.next, maxBytes: 2000 };
  }
}

const records = (lines: string[]): number[] => lines.map((l) => JSON.parse(l) as { kind: string; seq: number }).filter((l) => l.kind === 'record').map((l) => l.seq);

describe('incremental audit exports verified piecewise', () => {
  it('a sequence of exports verifies as one log; each incremental export verifies alone; a gap, an overlap or another chain fails', async () => {
    const s = await auditSample({ checkpointEvery: 5 });
    const other = await auditSample({ checkpointEvery: 5 });
    try {
      const keys = [s.key.publicKey];
      const first = await exportFrom(s.authority);
      const firstEnd = records(first).at(-1)!;
      for (let i = 0; i < 4; i++) await s.authority.createTicket('Iadmin', { attributes: { round: String(i) } });
      const second = await exportFrom(s.authority, { afterSeq: firstEnd });
      expect(records(second)).toEqual([firstEnd + 1, firstEnd + 2, firstEnd + 3, firstEnd + 4]);
      const header = JSON.parse(second[0]!) as Record<string, unknown>;
      expect(header).toMatchObject({ kind: 'header', afterSeq: firstEnd, afterHash: expect.stringMatching(/^[0-9a-f]{64}$/), afterTree: expect.any(Array) });
      expect(JSON.parse(second.at(-1)!)).toMatchObject({ kind: 'checkpoint', seq: firstEnd + 4 });
      // Nothing new: the header and the latest checkpoint.
      const empty = await exportFrom(s.authority, { afterSeq: firstEnd + 4 });
      expect(empty.map((l) => (JSON.parse(l) as { kind: string }).kind)).toEqual(['header', 'checkpoint']);
      await s.authority.createTicket('Iadmin');
      const third = await exportFrom(s.authority, { afterSeq: firstEnd + 4 });

      expect(verifyAuditExports([first, second, empty, third], keys, { authority: 'Iauthority' })).toMatchObject({ ok: true, firstSeq: 1, lastSeq: firstEnd + 5, records: firstEnd + 5, pieces: 4 });
      expect(verifyAuditExport(second, keys)).toMatchObject({ ok: true, firstSeq: firstEnd + 1, records: 4, pieces: 1 });
      expect(verifyAuditExport(empty, keys)).toMatchObject({ ok: true, records: 0 });
      expect(records(await exportFrom(s.authority))).toEqual(records([...first, ...second, ...third]));

      // A gap, an overlap, a piece of another log, a forged tree edge.
      expect(verifyAuditExports([first, third], keys)).toMatchObject({ ok: false, piece: 2, failedAt: firstEnd + 1, reason: expect.stringMatching(/records \d+ to \d+ are missing: export 1 ends at record \d+.*\(a gap\)/) });
      const overlap = await exportFrom(s.authority, { afterSeq: firstEnd - 2 });
      expect(verifyAuditExports([first, overlap], keys)).toMatchObject({ ok: false, piece: 2, reason: expect.stringMatching(/overlapping exports/) });
      for (let i = 0; i < 4; i++) await other.authority.createTicket('Iadmin');
      const foreign = await exportFrom(other.authority, { afterSeq: firstEnd });
      expect(verifyAuditExports([first, foreign], [s.key.publicKey, other.key.publicKey])).toMatchObject({ ok: false, piece: 2, reason: expect.stringMatching(/continues a different chain/) });
      const forged = [JSON.stringify({ ...header, afterTree: (header.afterTree as string[]).map(() => 'ab'.repeat(32)) }), ...second.slice(1)];
      expect(verifyAuditExport(forged, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/different Merkle tree head/) });
      expect(verifyAuditExports([first, forged], keys)).toMatchObject({ ok: false, piece: 2, reason: expect.stringMatching(/different Merkle tree/) });

      // A stream cut before its checkpoint is covered by the next piece; the end of a sequence must be covered.
      const cut = second.filter((l) => !l.includes('"kind":"checkpoint"'));
      expect(verifyAuditExports([first, cut, third], keys)).toMatchObject({ ok: true, lastSeq: firstEnd + 5 });
      expect(verifyAuditExports([first, cut], keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not covered by a signed checkpoint/) });
      await expect(s.authority.exportAuditPage('Iadmin', { afterSeq: firstEnd + 99 })).rejects.toThrow(/nothing after record/);
    } finally {
      await s.cleanup();
      await other.cleanup();
    }
  });

  it('a following stream (no signing, no header) continues with only new records and the checkpoints already signed', async () => {
    const s = await auditSample({ checkpointEvery: 1000 });
    try {
      const head = (await s.store.auditHead()).seq;
      const before = (await s.store.checkpoints()).length;
      await s.authority.createTicket('Iadmin');
      const page = await s.authority.exportAuditPage('Iadmin', { afterSeq: head, sign: false, header: false });
      expect(page.lines.map((l) => JSON.parse(l) as { kind: string; seq: number })).toEqual([expect.objectContaining({ kind: 'record', seq: head + 1 })]);
      expect((await s.store.checkpoints()).length).toBe(before);
    } finally { await s.cleanup(); }
  });
});
