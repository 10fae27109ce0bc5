import type { AuditEntry, AuditValue } from './audit-record.js';
import { isRefusal } from './audit-summary.js';

/** Where the report's log came from and what verifying it gave. */
export interface ReportVerification {
  /** `live project node bank`, or the export files. */
  readonly source: string;
  /** true: verified; false: failed (see `detail`); undefined: not verified (no authority identity given). */
  readonly ok: boolean | undefined;
  readonly detail: string;
}

/** One member change in the period. */
export interface MemberChange {
  readonly time: number;
  readonly subject: string;
  readonly actor: string;
  readonly role?: string;
}

/** A credential of the period, by lifetime. */
export interface LongLivedCredential {
  readonly subject: string;
  readonly attributes: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lifetimeMs: number;
  readonly seq: number;
}

/** A window in which refusals came faster than the burst threshold. */
export interface RefusalBurst {
  readonly start: number;
  readonly end: number;
  readonly count: number;
  /** The most frequent reason in the burst. */
  readonly reason: string;
}

/** A ticket redeemed by more distinct identities (or addresses, when records carry them) than the threshold. */
export interface SharedTicket {
  readonly ticketHash: string;
  readonly identities: number;
  readonly addresses: number;
  readonly redemptions: number;
}

/** One bucket of the chart. */
export interface ReportBucket {
  readonly start: number;
  readonly issued: number;
  readonly refused: number;
}

/** Everything `audit report` shows; built by {@link AuditReportBuilder}. */
export interface AuditReport {
  readonly authority: string;
  readonly since: number;
  readonly until: number;
  readonly generatedAt: number;
  /** Records of the whole log read, and those inside the period. */
  readonly log: { readonly firstSeq: number; readonly lastSeq: number; readonly records: number; readonly inPeriod: number };
  readonly tickets: { readonly created: number; readonly redeemed: number; readonly expired: number; readonly refused: number };
  readonly members: { readonly added: MemberChange[]; readonly removed: MemberChange[]; readonly suspended: number; readonly resumed: number };
  readonly credentials: { readonly issued: number; readonly perMember: ReadonlyArray<readonly [string, number]>; readonly perAttribute: ReadonlyArray<readonly [string, number]> };
  readonly refusals: { readonly total: number; readonly byReason: ReadonlyArray<readonly [string, number]> };
  readonly longestLived: readonly LongLivedCredential[];
  readonly unusual: { readonly sharedTickets: readonly SharedTicket[]; readonly bursts: readonly RefusalBurst[]; readonly burstThreshold: number; readonly burstWindowMs: number; readonly sharedThreshold: number };
  readonly chart: { readonly bucketMs: number; readonly buckets: readonly ReportBucket[] };
  readonly verification: ReportVerification;
}

/** Options of {@link AuditReportBuilder}. */
export interface AuditReportOptions {
  /** Start of the period (ms). */
  readonly since: number;
  /** End of the period (ms; default now). */
  readonly until?: number;
  /** Refusals within `burstWindowMs` that make a burst (default 20 in 60 s). */
  readonly burstThreshold?: number;
  readonly burstWindowMs?: number;
  /** Distinct redeemers that make a ticket unusual (default 3). */
  readonly sharedThreshold?: number;
  /** Rows of the longest-lived credentials (default 10). */
  readonly longestLived?: number;
}

const str = (v: AuditValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: AuditValue | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const attrText = (v: AuditValue | undefined): string => (v !== undefined && typeof v === 'object' && !Array.isArray(v)
  ? Object.entries(v as Record<string, string>).map(([k, x]) => `${k}=${x}`).join(', ')
  : '');
const bump = <K>(m: Map<K, number>, k: K, n = 1): void => { m.set(k, (m.get(k) ?? 0) + n); };
const sorted = (m: Map<string, number>): Array<[string, number]> => [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));

/** Chart bucket sizes, smallest first: a bucket is the smallest that keeps the chart at 60 bars or fewer. */
const BUCKETS = [60_000, 300_000, 900_000, 3_600_000, 6 * 3_600_000, 86_400_000, 7 * 86_400_000];

/**
 * Reads audit records in order (the whole log: the verification covers it) and counts
 * what happened in the period `[since, until]`: tickets created, redeemed, expired
 * (created in the period, expired by `until` with uses left) and refused; members added
 * and removed; credentials issued per member and per attribute; refusals by type and
 * reason (counted refusals with their count); the longest-lived credentials; unusual
 * things (a ticket redeemed by many identities or addresses, refusal bursts); and the
 * issuance and refusals over time. Memory grows with the tickets, members and bucket
 * counts of the period, not with the log.
 */
export class AuditReportBuilder {
  private authority = '';
  private firstSeq = 0;
  private lastSeq = 0;
  private records = 0;
  private inPeriod = 0;
  private readonly since: number;
  private readonly until: number;
  private readonly bucketMs: number;
  private readonly issuedBuckets = new Map<number, number>();
  private readonly refusedBuckets = new Map<number, number>();
  private created = 0;
  private redeemed = 0;
  private refusedTickets = 0;
  private readonly ticketsInPeriod = new Map<string, { expiresAt: number; usageCount: number; redemptions: number }>();
  private readonly redeemers = new Map<string, { identities: Set<string>; addresses: Set<string>; redemptions: number }>();
  private readonly added: MemberChange[] = [];
  private readonly removed: MemberChange[] = [];
  private suspended = 0;
  private resumed = 0;
  private issued = 0;
  private readonly perMember = new Map<string, number>();
  private readonly perAttribute = new Map<string, number>();
  private refusals = 0;
  private readonly byReason = new Map<string, number>();
  private longest: LongLivedCredential[] = [];
  private readonly window: Array<{ time: number; count: number; reason: string }> = [];
  private windowCount = 0;
  private readonly bursts: RefusalBurst[] = [];
  private readonly burstThreshold: number;
  private readonly burstWindowMs: number;
  private readonly sharedThreshold: number;
  private readonly longestRows: number;

  constructor(options: AuditReportOptions) {
    this.since = options.since;
    this.until = options.until ?? Date.now();
    const span = Math.max(1, this.until - this.since);
    this.bucketMs = BUCKETS.find((b) => span / b <= 60) ?? Math.ceil(span / 60);
    this.burstThreshold = options.burstThreshold ?? 20;
    this.burstWindowMs = options.burstWindowMs ?? 60_000;
    this.sharedThreshold = options.sharedThreshold ?? 3;
    this.longestRows = options.longestLived ?? 10;
  }

  /** The authority whose log this is (from the export header). */
  setAuthority(authority: string): void {
    this.authority = authority;
  }

  /** Counts one record (records arrive in `seq` order). */
  add(entry: AuditEntry): void {
    if (this.records === 0) this.firstSeq = entry.seq;
    this.records++;
    this.lastSeq = entry.seq;
    if (entry.time < this.since || entry.time > this.until) return;
    this.inPeriod++;
    const f = entry.fields;
    const subject = str(f.subject) ?? '';
    if (isRefusal(entry.type)) this.refusal(entry);
    switch (entry.type) {
      case 'ticket.created': {
        this.created++;
        const hash = str(f.ticketHash);
        if (hash !== undefined) this.ticketsInPeriod.set(hash, { expiresAt: num(f.expiresAt) ?? 0, usageCount: num(f.usageCount) ?? 1, redemptions: 0 });
        break;
      }
      case 'ticket.redeemed': {
        if (f.retry === true) break;
        this.redeemed++;
        const hash = str(f.ticketHash) ?? '';
        const t = this.ticketsInPeriod.get(hash);
        if (t !== undefined) t.redemptions++;
        let r = this.redeemers.get(hash);
        if (r === undefined) this.redeemers.set(hash, r = { identities: new Set(), addresses: new Set(), redemptions: 0 });
        r.redemptions++;
        r.identities.add(subject);
        const address = str(f.address);
        if (address !== undefined) r.addresses.add(address);
        break;
      }
      case 'member.added': this.added.push({ time: entry.time, subject, actor: entry.actor, ...(str(f.role) ? { role: str(f.role) } : {}) }); break;
      case 'member.removed': this.removed.push({ time: entry.time, subject, actor: entry.actor, ...(str(f.role) ? { role: str(f.role) } : {}) }); break;
      case 'member.suspended': this.suspended++; break;
      case 'member.resumed': this.resumed++; break;
      case 'credential.issued': {
        this.issued++;
        bump(this.issuedBuckets, this.bucketOf(entry.time));
        bump(this.perMember, subject);
        const attributes = f.attributes;
        if (attributes !== undefined && typeof attributes === 'object' && !Array.isArray(attributes)) {
          for (const [k, v] of Object.entries(attributes as Record<string, string>)) bump(this.perAttribute, `${k}=${v}`);
        }
        const createdAt = num(f.createdAt) ?? entry.time;
        const expiresAt = num(f.expiresAt) ?? createdAt;
        this.keepLongest({ subject, attributes: attrText(attributes), createdAt, expiresAt, lifetimeMs: expiresAt - createdAt, seq: entry.seq });
        break;
      }
      default:
    }
  }

  /** The report; `verification` says whether the log it was built from verified. */
  finish(verification: ReportVerification, generatedAt = Date.now()): AuditReport {
    this.closeBurst();
    let expired = 0;
    for (const t of this.ticketsInPeriod.values()) if (t.expiresAt <= this.until && t.redemptions < t.usageCount) expired++;
    const buckets: ReportBucket[] = [];
    const first = Math.floor(this.since / this.bucketMs) * this.bucketMs;
    for (let start = first; start <= this.until; start += this.bucketMs) {
      buckets.push({ start, issued: this.issuedBuckets.get(start) ?? 0, refused: this.refusedBuckets.get(start) ?? 0 });
    }
    const sharedTickets = [...this.redeemers]
      .filter(([, r]) => r.identities.size >= this.sharedThreshold || r.addresses.size >= this.sharedThreshold)
      .map(([ticketHash, r]) => ({ ticketHash, identities: r.identities.size, addresses: r.addresses.size, redemptions: r.redemptions }))
      .sort((a, b) => b.identities - a.identities);
    return {
      authority: this.authority, since: this.since, until: this.until, generatedAt,
      log: { firstSeq: this.firstSeq, lastSeq: this.lastSeq, records: this.records, inPeriod: this.inPeriod },
      tickets: { created: this.created, redeemed: this.redeemed, expired, refused: this.refusedTickets },
      members: { added: this.added, removed: this.removed, suspended: this.suspended, resumed: this.resumed },
      credentials: { issued: this.issued, perMember: sorted(this.perMember), perAttribute: sorted(this.perAttribute) },
      refusals: { total: this.refusals, byReason: sorted(this.byReason) },
      longestLived: this.longest,
      unusual: { sharedTickets, bursts: this.bursts, burstThreshold: this.burstThreshold, burstWindowMs: this.burstWindowMs, sharedThreshold: this.sharedThreshold },
      chart: { bucketMs: this.bucketMs, buckets },
      verification,
    };
  }

  private bucketOf(time: number): number {
    return Math.floor(time / this.bucketMs) * this.bucketMs;
  }

  private refusal(entry: AuditEntry): void {
    const f = entry.fields;
    const aggregated = entry.type === 'refusals.aggregated';
    const type = aggregated ? str(f.refusedType) ?? 'refusal' : entry.type;
    const count = aggregated ? num(f.count) ?? 1 : 1;
    const reason = str(f.reason) ?? 'unknown';
    this.refusals += count;
    if (type === 'ticket.refused') this.refusedTickets += count;
    bump(this.byReason, `${type}: ${reason}`, count);
    bump(this.refusedBuckets, this.bucketOf(entry.time), count);
    this.trackBurst(entry.time, count, reason);
  }

  /**
   * Sliding window over refusal times: a burst opens when the refusals of the last
   * `burstWindowMs` reach the threshold (and counts them), grows with every refusal while
   * the window stays at or above it, and closes with the first refusal that finds it below.
   */
  private trackBurst(time: number, count: number, reason: string): void {
    const w = this.window;
    while (w.length > 0 && (w[0] as { time: number }).time <= time - this.burstWindowMs) this.windowCount -= (w.shift() as { count: number }).count;
    w.push({ time, count, reason });
    this.windowCount += count;
    if (this.windowCount < this.burstThreshold) {
      this.closeBurst();
      return;
    }
    if (this.open === undefined) {
      const reasons = new Map<string, number>();
      for (const e of w) bump(reasons, e.reason, e.count);
      this.open = { start: (w[0] as { time: number }).time, end: time, count: this.windowCount, reasons };
      return;
    }
    this.open.end = time;
    this.open.count += count;
    bump(this.open.reasons, reason, count);
  }

  private open: { start: number; end: number; count: number; reasons: Map<string, number> } | undefined;

  private closeBurst(): void {
    const b = this.open;
    if (b === undefined) return;
    this.open = undefined;
    this.bursts.push({ start: b.start, end: b.end, count: b.count, reason: sorted(b.reasons)[0]?.[0] ?? 'unknown' });
  }

  private keepLongest(c: LongLivedCredential): void {
    const rows = this.longest;
    if (rows.length >= this.longestRows && c.lifetimeMs <= (rows.at(-1) as LongLivedCredential).lifetimeMs) return;
    rows.push(c);
    rows.sort((a, b) => b.lifetimeMs - a.lifetimeMs || a.seq - b.seq);
    if (rows.length > this.longestRows) rows.pop();
  }
}
