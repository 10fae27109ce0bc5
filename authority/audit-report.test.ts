import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRecordType, AuditValue } from './audit-record.js';
import { AuditReportBuilder } from './audit-report.js';

let seq = 0;
const entry = (time: number, type: AuditRecordType, fields: Record<string, AuditValue>, actor = 'Iadmin'): AuditEntry =>
  ({ version: 1, seq: ++seq, time, type, actor, fields, prevHash: '0'.repeat(64), hash: '1'.repeat(64) });

describe('audit report counts', () => {
  it('counts the period only, finds bursts, shared and expired tickets, and ranks credential lifetimes', () => {
    const T = 1_000_000_000_000;
    const b = new AuditReportBuilder({ since: T, until: T + 3_600_000, burstThreshold: 5, burstWindowMs: 10_000, sharedThreshold: 3, longestLived: 2 });
    b.add(entry(T - 1, 'ticket.created', { ticketHash: 'old', usageCount: 1, expiresAt: T + 10 })); // before the period
    b.add(entry(T + 1, 'ticket.created', { ticketHash: 'a', usageCount: 1, expiresAt: T + 600_000 }));
    b.add(entry(T + 2, 'ticket.created', { ticketHash: 'b', usageCount: 3, expiresAt: T + 600_000 }));
    b.add(entry(T + 3, 'ticket.created', { ticketHash: 'c', usageCount: 1, expiresAt: T + 7_200_000 })); // not expired by the end
    b.add(entry(T + 4, 'ticket.redeemed', { ticketHash: 'a', subject: 'I1' }));
    b.add(entry(T + 5, 'ticket.redeemed', { ticketHash: 'a', subject: 'I1', retry: true }));
    for (let i = 0; i < 3; i++) b.add(entry(T + 10 + i, 'ticket.redeemed', { ticketHash: 'b', subject: `Ib${i}` }));
    for (let i = 0; i < 6; i++) b.add(entry(T + 100_000 + i * 1000, 'access.refused', { action: 'member.list', reason: 'not a member' }, `Ix${i}`));
    b.add(entry(T + 500_000, 'ticket.refused', { subject: 'Iy', reason: 'expired' }));
    b.add(entry(T + 900_000, 'refusals.aggregated', { refusedType: 'ticket.refused', reason: 'used-up', count: 7, identities: 2, firstAt: T, lastAt: T }));
    b.add(entry(T + 1000, 'credential.issued', { subject: 'I1', attributes: { component: 'db' }, createdAt: T, expiresAt: T + 3_600_000 }));
    b.add(entry(T + 2000, 'credential.issued', { subject: 'I1', attributes: { component: 'db' }, createdAt: T, expiresAt: T + 60_000 }));
    b.add(entry(T + 3000, 'credential.issued', { subject: 'I2', attributes: { component: 'analysis' }, createdAt: T, expiresAt: T + 7_200_000 }));
    b.add(entry(T + 4000, 'member.removed', { subject: 'I2', role: 'member' }));
    const r = b.finish({ source: 'test', ok: true, detail: 'ok' });

    expect(r.log).toMatchObject({ records: seq, inPeriod: seq - 1 });
    expect(r.tickets).toEqual({ created: 3, redeemed: 4, expired: 0, refused: 8 });
    expect(r.members.removed).toHaveLength(1);
    expect(r.credentials.perMember).toEqual([['I1', 2], ['I2', 1]]);
    expect(r.credentials.perAttribute).toEqual([['component=db', 2], ['component=analysis', 1]]);
    expect(r.refusals.total).toBe(6 + 1 + 7);
    expect(r.refusals.byReason).toEqual([['ticket.refused: used-up', 7], ['access.refused: not a member', 6], ['ticket.refused: expired', 1]]);
    // Six refusals within 10 s; and a record counting 7 refusals at once is a burst by itself.
    expect(r.unusual.bursts).toEqual([
      { start: T + 100_000, end: T + 105_000, count: 6, reason: 'not a member' },
      { start: T + 900_000, end: T + 900_000, count: 7, reason: 'used-up' },
    ]);
    expect(r.unusual.sharedTickets).toEqual([{ ticketHash: 'b', identities: 3, addresses: 0, redemptions: 3 }]);
    expect(r.longestLived.map((c) => c.lifetimeMs)).toEqual([7_200_000, 3_600_000]);
    expect(r.chart.buckets.reduce((n, x) => n + x.issued, 0)).toBe(3);
    expect(r.chart.buckets.reduce((n, x) => n + x.refused, 0)).toBe(14);
    expect(r.chart.buckets.length).toBeLessThanOrEqual(61);

    // Ticket c expires before a later end of the period, unused; a fully used ticket never counts as expired.
    const later = new AuditReportBuilder({ since: T, until: T + 8_000_000 });
    for (const e of [entry(T + 1, 'ticket.created', { ticketHash: 'c', usageCount: 1, expiresAt: T + 7_200_000 }), entry(T + 2, 'ticket.created', { ticketHash: 'd', usageCount: 1, expiresAt: T + 10 }), entry(T + 3, 'ticket.redeemed', { ticketHash: 'd', subject: 'I9' })]) later.add(e);
    expect(later.finish({ source: 'test', ok: undefined, detail: '' }).tickets.expired).toBe(1);
  });
});
