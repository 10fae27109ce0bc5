import type { Logger } from '../core/logger.js';
import { silentLogger } from '../core/logger.js';
import type { Decision, PolicyScope } from './policy.js';

/** One refused request, as kept and reported on the local node. */
export interface Denial {
  /** ISO 8601 time of the decision. */
  readonly at: string;
  readonly resource: { readonly type: string; readonly name: string; readonly node: string };
  readonly action: string;
  /** The subject's identifier; absent for an unauthenticated sender. */
  readonly subject?: string;
  /** Why: the policy and failing sub-expression, or the default rule. Local only. */
  readonly reason: string;
  readonly policy?: { readonly scope: PolicyScope; readonly expression: string };
  /** `audit`: not refused; an audit-mode policy would have refused it (the reason says why). */
  readonly mode?: 'audit';
}

/**
 * The one way a refusal becomes a {@link Denial}: when, what (resource and action), who
 * (the subject's identifier, absent for an unauthenticated sender), why and which policy.
 */
export function denialRecord(
  at: Date, resource: Denial['resource'], action: string, subject: { readonly identifier?: string } | undefined, decision: Decision,
): Denial {
  return {
    at: at.toISOString(), resource, action, reason: decision.reason,
    ...(subject?.identifier !== undefined ? { subject: subject.identifier } : {}),
    ...(decision.policy !== undefined ? { policy: decision.policy } : {}),
    ...(decision.audit === true ? { mode: 'audit' as const } : {}),
  };
}

/** Denial counters: the total and per resource (`type/name`). */
export interface DenialCounts {
  readonly total: number;
  readonly byResource: Readonly<Record<string, number>>;
  /** Requests audit-mode policies would have denied (let through; not in `total`). */
  readonly wouldDeny: number;
}

/** Where a {@link DenialLog} also keeps its denials (the node's persistent decision log). */
export interface DenialJournal {
  /** Keeps one denial (it may be counted into an aggregate instead of kept alone). */
  record(denial: Denial): void;
  /** The most recent kept denials, newest first, at most `limit`. */
  recent(limit: number): Denial[];
}

/**
 * The node's record of denials: each is logged (warn) through the core Logger, kept in a
 * bounded ring buffer and counted per resource. Nothing here is ever sent to a peer.
 */
export class DenialLog {
  private readonly logger: Logger;
  private readonly capacity: number;
  private readonly ring: Denial[] = [];
  private next = 0;
  private total = 0;
  private wouldDeny = 0;
  private readonly byResource = new Map<string, number>();
  private journal: DenialJournal | undefined;

  constructor(options: { logger?: Logger; capacity?: number } = {}) {
    this.logger = options.logger ?? silentLogger;
    this.capacity = Math.max(1, Math.floor(options.capacity ?? 1000));
  }

  /**
   * Keeps denials in `journal` too, and reads {@link recent} from it (so they outlive the
   * process); `undefined` detaches it.
   */
  attach(journal: DenialJournal | undefined): void {
    this.journal = journal;
  }

  /** Logs, keeps and counts one denial (or, marked `audit`, one that an audit-mode policy let through). */
  record(denial: Denial): void {
    this.journal?.record(denial);
    const audit = denial.mode === 'audit';
    const fields = {
      resource: denial.resource, action: denial.action, subject: denial.subject ?? null,
      reason: denial.reason, policy: denial.policy ?? null, ...(audit ? { mode: 'audit' } : {}),
    };
    if (audit) this.logger.info(fields, 'access would be denied (audit mode: allowed)');
    else this.logger.warn(fields, 'access denied');
    if (this.ring.length < this.capacity) this.ring.push(denial);
    else this.ring[this.next] = denial;
    this.next = (this.next + 1) % this.capacity;
    if (audit) {
      this.wouldDeny++;
      return;
    }
    this.total++;
    const key = `${denial.resource.type}/${denial.resource.name}`;
    this.byResource.set(key, (this.byResource.get(key) ?? 0) + 1);
  }

  /** The most recent denials, newest first, at most `limit` (default: all kept). */
  recent(limit = this.capacity): Denial[] {
    if (this.journal !== undefined) return this.journal.recent(limit);
    const out: Denial[] = [];
    const n = Math.min(Math.max(0, Math.floor(limit)), this.ring.length);
    for (let i = 1; i <= n; i++) {
      out.push(this.ring[(this.next - i + this.ring.length * 2) % this.ring.length]!);
    }
    return out;
  }

  /** Counts since the node started (not bounded by the ring buffer). */
  counts(): DenialCounts {
    return { total: this.total, byResource: Object.fromEntries(this.byResource), wouldDeny: this.wouldDeny };
  }
}
