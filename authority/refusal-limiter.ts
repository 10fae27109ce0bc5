/** Options of {@link RefusalLimiter}. */
export interface RefusalLimiterOptions {
  /** Length of one aggregation window in ms (default 60 s). */
  readonly windowMs?: number;
  /** Refusals recorded one by one per window, over all identities (default 100); more are only counted. */
  readonly maxRecordsPerWindow?: number;
  readonly clock?: () => number;
}

/** What the audit log learns about refusals that were counted, not recorded one by one. */
export interface RefusalAggregate {
  /** Record type the refusals would have had (`access.refused`, `credential.refused`, `ticket.refused`). */
  readonly type: string;
  /** The refused identity, or `*` for refusals counted once the window's record budget was spent. */
  readonly actor: string;
  /** The refusal's reason (and action), identical for every refusal counted here. */
  readonly reason: string;
  readonly count: number;
  /** Distinct identities counted (for `*`). */
  readonly identities: number;
  /** Time of the first and the last refusal counted (ms). */
  readonly firstAt: number;
  readonly lastAt: number;
}

interface Slot {
  readonly type: string;
  readonly actor: string;
  readonly reason: string;
  readonly windowStart: number;
  count: number;
  firstAt: number;
  lastAt: number;
  readonly identities: Set<string>;
}

/** Distinct identities remembered per `*` slot (beyond it they are counted, not told apart). */
const MAX_TRACKED_IDENTITIES = 10_000;

/**
 * Decides which refusals the audit log records one by one and which it only counts, so
 * the log grows with what happened, not with what an attacker sends. In each window
 * (default 60 s) the first refusal of a kind (type, identity, reason) is recorded; the
 * following identical ones are counted and reported by {@link drain} as one aggregate
 * once the window is over. At most `maxRecordsPerWindow` refusals are recorded one by
 * one per window over all identities (a flood of fresh identities); after that every
 * refusal is counted in one aggregate per (type, reason) with actor `*`. Memory is bounded
 * by the record budget plus one slot per (type, reason).
 */
export class RefusalLimiter {
  private readonly windowMs: number;
  private readonly maxRecords: number;
  private readonly clock: () => number;
  private readonly slots = new Map<string, Slot>();
  private budgetWindow = 0;
  private recordedInWindow = 0;

  constructor(options: RefusalLimiterOptions = {}) {
    this.windowMs = Math.max(1, options.windowMs ?? 60_000);
    this.maxRecords = Math.max(1, options.maxRecordsPerWindow ?? 100);
    this.clock = options.clock ?? Date.now;
  }

  /** True when this refusal should be recorded now; false when it was counted instead. */
  admit(type: string, actor: string, reason: string): boolean {
    const now = this.clock();
    const key = `${type}\u0000${actor}\u0000${reason}`;
    const slot = this.slots.get(key);
    // A slot whose window ended keeps counting until drain() has reported it.
    if (slot !== undefined && (now - slot.windowStart < this.windowMs || slot.count > 0)) {
      this.count(slot, actor, now);
      return false;
    }
    if (now - this.budgetWindow >= this.windowMs) {
      this.budgetWindow = now;
      this.recordedInWindow = 0;
    }
    if (this.recordedInWindow >= this.maxRecords) {
      const wildKey = `${type}\u0000*\u0000${reason}`;
      let wild = this.slots.get(wildKey);
      if (wild === undefined || (now - wild.windowStart >= this.windowMs && wild.count === 0)) {
        wild = { type, actor: '*', reason, windowStart: now, count: 0, firstAt: now, lastAt: now, identities: new Set() };
        this.slots.set(wildKey, wild);
      }
      this.count(wild, actor, now);
      return false;
    }
    this.recordedInWindow++;
    this.slots.set(key, { type, actor, reason, windowStart: now, count: 0, firstAt: now, lastAt: now, identities: new Set() });
    return true;
  }

  /**
   * Aggregates of windows that are over (all of them with `all`), removed from the
   * limiter. Slots of ended windows with nothing counted are dropped.
   */
  drain(all = false): RefusalAggregate[] {
    const now = this.clock();
    const out: RefusalAggregate[] = [];
    for (const [key, slot] of this.slots) {
      if (!all && now - slot.windowStart < this.windowMs) continue;
      this.slots.delete(key);
      if (slot.count === 0) continue;
      out.push({
        type: slot.type, actor: slot.actor, reason: slot.reason, count: slot.count,
        identities: slot.actor === '*' ? slot.identities.size : 1, firstAt: slot.firstAt, lastAt: slot.lastAt,
      });
    }
    return out;
  }

  /** True while some counted refusals wait to be reported. */
  get pending(): boolean {
    for (const slot of this.slots.values()) if (slot.count > 0) return true;
    return false;
  }

  private count(slot: Slot, actor: string, now: number): void {
    if (slot.count === 0) slot.firstAt = now;
    slot.count++;
    slot.lastAt = now;
    if (slot.actor === '*' && slot.identities.size < MAX_TRACKED_IDENTITIES) slot.identities.add(actor);
  }
}
