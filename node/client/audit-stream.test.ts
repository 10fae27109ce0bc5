import { describe, expect, it } from 'vitest';
import { verifyAuditExport } from '../../authority/audit-verify.js';
import { auditSample } from '../../authority/testing/audit-sample.js';
import { streamAuditExport, type AuditExportCall } from './audit-stream.js';

describe('following the audit log', () => {
  it('writes every record once, in order, through failed calls and pages, and ends on a checkpoint that verifies', async () => {
    const s = await auditSample();
    try {
      let calls = 0;
      // The real authority behind a connection that fails every third call (after the authority answered, so work is lost too).
      const call: AuditExportCall = async (params) => {
        const page = await s.authority.exportAuditPage('Iadmin', { ...params, maxBytes: 1500 });
        if (++calls % 3 === 0) throw new Error('connection lost');
        return page;
      };
      const out: string[] = [];
      const controller = new AbortController();
      const retries: number[] = [];
      const writer = (async () => {
        for (let i = 0; i < 30; i++) {
          await s.authority.createTicket('Iadmin', { attributes: { n: String(i) } });
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const stream = streamAuditExport(call, {
        follow: true, intervalMs: 10, checkpointEveryMs: 50, maxBackoffMs: 20, signal: controller.signal,
        write: async (line) => { out.push(line); }, onRetry: (_e, delay) => retries.push(delay),
      });
      await writer;
      // Stop once the stream has caught up with the head (then the final export signs a checkpoint on it).
      const head = (await s.store.auditHead()).seq;
      const written = (): number => out.filter((l) => l.startsWith('{"kind":"record"')).length;
      for (let waited = 0; written() < head && waited < 20_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await s.authority.createTicket('Iadmin');
      controller.abort();
      const end = await stream;
      expect(retries.length).toBeGreaterThan(0);
      const full = (await s.authority.exportAudit()).map((l) => JSON.parse(l) as { kind: string; seq: number; hash: string });
      const streamed = out.map((l) => JSON.parse(l) as { kind: string; seq: number; hash: string });
      const recs = (xs: typeof full): string[] => xs.filter((x) => x.kind === 'record').map((x) => `${x.seq}:${x.hash}`);
      expect(recs(streamed)).toEqual(recs(full));
      expect(end).toMatchObject({ lastSeq: full.filter((x) => x.kind === 'record').at(-1)!.seq, covered: true });
      expect(verifyAuditExport(out, [s.key.publicKey])).toMatchObject({ ok: true });
    } finally { await s.cleanup(); }
  });
});
