import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AUDIT_RECORD_TYPES, type AuditEntry } from './audit-record.js';
import { toOcsfEvent } from './audit-ocsf.js';
import { auditSample } from './testing/audit-sample.js';

/** The field list docs/audit.md promises (its `ocsf-fields` block), read once. */
function promisedFields(): Map<string, string[]> {
  const doc = readFileSync(new URL('../docs/audit.md', import.meta.url), 'utf8');
  const block = /```ocsf-fields\n([\s\S]*?)```/.exec(doc);
  if (block === null) throw new Error('docs/audit.md has no ocsf-fields block');
  const out = new Map<string, string[]>();
  for (const line of (block[1] as string).trim().split('\n')) {
    const [key, rest] = line.split(':');
    out.set((key as string).trim(), (rest as string).trim().split(/\s+/));
  }
  return out;
}

/** The dotted paths of an event's leaves (arrays and the record's own fields are leaves). */
function paths(value: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(value).flatMap(([k, v]) => {
    const path = `${prefix}${k}`;
    return v !== null && typeof v === 'object' && !Array.isArray(v) && path !== 'unmapped.symbolon.fields' ? paths(v as Record<string, unknown>, `${path}.`) : [path];
  });
}

describe('OCSF events of the authority log', () => {
  it('every record type maps to an event with exactly the fields docs/audit.md promises, and no secret', async () => {
    const s = await auditSample();
    try {
      const promised = promisedFields();
      const get = (k: string): string[] => promised.get(k) ?? [];
      const lines = await s.authority.exportAudit();
      const entries = lines.map((l) => JSON.parse(l) as { kind: string } & AuditEntry).filter((l) => l.kind === 'record');
      expect(new Set(entries.map((e) => e.type))).toEqual(new Set(AUDIT_RECORD_TYPES));
      for (const entry of entries) {
        const event = toOcsfEvent(entry, 'Iauthority');
        const cls = String(event.class_uid);
        const failed = event.status_id === 2;
        const aggregated = entry.type === 'refusals.aggregated';
        const required = [...get('all'), ...(failed ? get('failure') : []), ...(aggregated ? get('aggregated') : get(cls))];
        const allowed = new Set([...required, ...get(cls), ...get(`${cls} optional`), ...(aggregated ? get('aggregated optional') : [])]);
        const have = paths(event);
        expect(required.filter((p) => !have.includes(p)), `${entry.type}: missing`).toEqual([]);
        expect(have.filter((p) => !allowed.has(p)), `${entry.type}: not in the mapping doc`).toEqual([]);
        expect(event.type_uid).toBe((event.class_uid as number) * 100 + (event.activity_id as number));
        expect(event.time_dt).toBe(new Date(entry.time).toISOString());
        expect((event.metadata as { sequence: number }).sequence).toBe(entry.seq);
        const text = JSON.stringify(event);
        for (const code of s.codes) {
          expect(text).not.toContain(Buffer.from(code).toString('hex'));
          expect(text).not.toContain(Buffer.from(code).toString('base64url'));
        }
      }
      const byType = (t: string): Record<string, unknown> => toOcsfEvent(entries.find((e) => e.type === t)!, 'Iauthority');
      expect(byType('ticket.redeemed')).toMatchObject({ class_uid: 3002, activity_id: 1, status: 'Success', user: { uid: 'Imember0' } });
      expect(byType('ticket.refused')).toMatchObject({ class_uid: 3002, status: 'Failure', status_detail: 'used-up' });
      expect(byType('member.removed')).toMatchObject({ class_uid: 3001, activity_id: 6, user: { uid: 'Imember2' } });
      expect(byType('credential.issued')).toMatchObject({ class_uid: 3003, privileges: expect.arrayContaining(['component=db']) });
      expect(byType('credential.refused')).toMatchObject({ class_uid: 3003, status_detail: 'suspended' });
      expect(byType('access.refused')).toMatchObject({ class_uid: 6003, activity_id: 99, api: { operation: 'member.list' }, status_detail: 'not a member' });
      expect(byType('refusals.aggregated')).toMatchObject({ class_uid: 6003, count: 2, status: 'Failure' });
    } finally { await s.cleanup(); }
  });
});
