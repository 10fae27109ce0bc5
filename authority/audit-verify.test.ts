import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SoftwareSigningKey } from '../core/vault/software-signing-key.js';
import { verifyAuditExport } from './audit-verify.js';
import { authorityFixture } from './testing/authority-fixture.js';

async function sampleExport(): Promise<{ lines: string[]; key: SoftwareSigningKey; codes: Uint8Array[]; dbPath: string; cleanup: () => Promise<void> }> {
  const f = await authorityFixture({ checkpointEvery: 4 });
  const codes: Uint8Array[] = [];
  for (let i = 0; i < 5; i++) {
    const t = await f.authority.createTicket('Iadmin', { attributes: { n: String(i) } });
    codes.push(t.code);
    await f.authority.redeemTicket(t.code, `I${i}`);
    await f.authority.issueCredentialFor(`I${i}`);
  }
  await f.authority.redeemTicket(codes[0] as Uint8Array, 'Ilate').catch(() => undefined);
  const lines = await f.authority.exportAudit();
  return { lines, key: f.key, codes, dbPath: f.dbPath, cleanup: f.cleanup };
}

const edit = (lines: string[], seq: number, change: (r: Record<string, unknown>) => void): string[] => lines.map((l) => {
  const v = JSON.parse(l) as Record<string, unknown>;
  if (v.kind !== 'record' || v.seq !== seq) return l;
  change(v);
  return JSON.stringify(v);
});
const recordIndex = (lines: string[], seq: number): number => lines.findIndex((l) => l.includes('"kind":"record"') && (JSON.parse(l) as { seq: number }).seq === seq);

describe('audit export verification', () => {
  it('accepts an untouched export and detects each kind of tampering at the first failing record', async () => {
    const s = await sampleExport();
    try {
      const keys = [s.key.publicKey];
      const good = verifyAuditExport(s.lines, keys, { authority: 'Iauthority' });
      expect(good).toMatchObject({ ok: true, records: 22, authority: 'Iauthority' });
      expect(good.ok && good.checkpoints).toBeGreaterThanOrEqual(4);

      const changed = edit(s.lines, 5, (r) => { (r.fields as Record<string, unknown>).subject = 'Imallory'; });
      expect(verifyAuditExport(changed, keys)).toMatchObject({ ok: false, failedAt: 5, reason: expect.stringMatching(/does not match its hash/) });

      const deleted = s.lines.filter((_, i) => i !== recordIndex(s.lines, 6));
      expect(verifyAuditExport(deleted, keys)).toMatchObject({ ok: false, failedAt: 6, reason: expect.stringMatching(/missing/) });

      const swapped = [...s.lines];
      const [i, j] = [recordIndex(s.lines, 2), recordIndex(s.lines, 3)];
      [swapped[i], swapped[j]] = [s.lines[j] as string, s.lines[i] as string];
      expect(verifyAuditExport(swapped, keys)).toMatchObject({ ok: false, failedAt: 2 });

      const truncatedKeepingCheckpoint = [...s.lines.slice(0, recordIndex(s.lines, 15)), s.lines.at(-1) as string];
      expect(verifyAuditExport(truncatedKeepingCheckpoint, keys)).toMatchObject({ ok: false, failedAt: 15, reason: expect.stringMatching(/missing/) });

      const truncated = s.lines.slice(0, recordIndex(s.lines, 15));
      expect(verifyAuditExport(truncated, keys)).toMatchObject({ ok: false, reason: expect.stringMatching(/not covered/) });

      const firstCheckpoint = (JSON.parse(s.lines.find((l) => l.includes('"kind":"checkpoint"')) as string) as { seq: number }).seq;
      const forgerKey = SoftwareSigningKey.generate('ed25519');
      expect(verifyAuditExport(s.lines, [forgerKey.publicKey])).toMatchObject({ ok: false, failedAt: firstCheckpoint, reason: expect.stringMatching(/not signed by the authority/) });
      const forged = s.lines.map((l) => (l.includes('"kind":"checkpoint"') ? l.replace(/"time":\d+/, '"time":1') : l));
      expect(verifyAuditExport(forged, keys)).toMatchObject({ ok: false, failedAt: firstCheckpoint, reason: expect.stringMatching(/not signed/) });

      const rehashed = edit(s.lines, 5, (r) => { r.actor = 'Imallory'; });
      expect(verifyAuditExport(rehashed, keys)).toMatchObject({ ok: false, failedAt: 5 });
      expect(verifyAuditExport(['{"kind":"record"}'], keys)).toMatchObject({ ok: false, failedAt: 0 });
      expect(verifyAuditExport([s.lines[0] as string, 'not json'], keys)).toMatchObject({ ok: false, failedAt: 1, reason: expect.stringMatching(/not valid JSON/) });
    } finally { await s.cleanup(); }
  });

  it('fails on an export with no records, on one without any checkpoint (or warns with allowNoCheckpoint), and below minSeq', async () => {
    const s = await sampleExport();
    try {
      const keys = [s.key.publicKey];
      const header = s.lines[0] as string;
      expect(verifyAuditExport([header], keys)).toMatchObject({ ok: false, failedAt: 1, reason: expect.stringMatching(/no records/) });
      expect(verifyAuditExport([header], keys, { allowNoCheckpoint: true })).toMatchObject({ ok: false, reason: expect.stringMatching(/no records/) });

      const records = s.lines.filter((l) => !l.includes('"kind":"checkpoint"'));
      expect(verifyAuditExport(records, keys)).toMatchObject({ ok: false, failedAt: 1, reason: expect.stringMatching(/no signed checkpoint/) });
      const warned = verifyAuditExport(records, keys, { allowNoCheckpoint: true });
      expect(warned).toMatchObject({ ok: true, records: 22, checkpoints: 0, warnings: [expect.stringMatching(/no signed checkpoint: records 1 to 22 are only hash-chained/)] });
      const tamperedUnsigned = edit(records, 3, (r) => { r.actor = 'Imallory'; });
      expect(verifyAuditExport(tamperedUnsigned, keys, { allowNoCheckpoint: true })).toMatchObject({ ok: false, failedAt: 3 });

      expect(verifyAuditExport(s.lines, keys)).toMatchObject({ ok: true, warnings: [] });
      expect(verifyAuditExport(s.lines, keys, { minSeq: 22 })).toMatchObject({ ok: true, records: 22 });
      expect(verifyAuditExport(s.lines, keys, { minSeq: 23 })).toMatchObject({ ok: false, failedAt: 23, reason: expect.stringMatching(/ends at record 22, but at least record 23/) });
    } finally { await s.cleanup(); }
  });

  it('never lets a ticket code into the database files or the export', async () => {
    const s = await sampleExport();
    try {
      const dir = dirname(s.dbPath);
      const blobs = [Buffer.from(s.lines.join('\n'))];
      for (const name of readdirSync(dir)) blobs.push(readFileSync(join(dir, name)));
      const haystack = Buffer.concat(blobs);
      expect(haystack.length).toBeGreaterThan(1000);
      for (const code of s.codes) {
        const raw = Buffer.from(code);
        for (const needle of [raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64url')), Buffer.from(raw.toString('base64'))]) {
          expect(haystack.includes(needle)).toBe(false);
        }
      }
    } finally { await s.cleanup(); }
  });
});
