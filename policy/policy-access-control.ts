import type { AccessControl, AccessRequest } from '../core/node/access-control.js';
import { decide } from './decide.js';
import type { DecisionContext, PolicyResource } from './decide.js';
import type { DecisionCell, DecisionCounts } from './decision-counts.js';
import type { DenialLog } from './denial-log.js';
import type { PolicyLookup } from './policy.js';

/** What a {@link PolicyAccessControl} guards and where it looks policies up. */
export interface PolicyAccessControlOptions {
  readonly resource: PolicyResource;
  /** The action checked, e.g. `send`, `handshake`, `create`. */
  readonly action: string;
  readonly store: PolicyLookup;
  /** Identifiers of trusted authorities; empty when none is configured. */
  readonly trustedAuthorities: () => readonly string[];
  readonly denials: DenialLog;
  /** Where decisions are counted by resource type (for the node's metrics), if anywhere. */
  readonly decisions?: DecisionCounts;
  /** Milliseconds since the epoch; defaults to Date.now. */
  readonly clock?: () => number;
}

/**
 * Core's AccessControl backed by policies. Messages from this node (no origin, or via
 * `local`) are allowed. A message via a secure channel is decided for its peer (identifier,
 * verified attributes, authority); a message via bare TCP has no subject, so only a policy that
 * allows the empty subject lets it through. Denials are recorded in the DenialLog; the
 * isAuthorized answer carries no reason. Never throws.
 */
export class PolicyAccessControl implements AccessControl {
  private readonly resource: PolicyResource;
  private readonly action: string;
  private readonly context: DecisionContext;
  private readonly denials: DenialLog;
  private readonly clock: () => number;
  private readonly counted: DecisionCell;
  private lastMillis = Number.NaN;
  private lastNow = new Date(0);

  constructor(options: PolicyAccessControlOptions) {
    this.resource = Object.freeze({ type: options.resource.type, name: options.resource.name, node: options.resource.node });
    this.action = options.action;
    const trusted = options.trustedAuthorities;
    this.context = { policies: options.store, get trustedAuthorities() { return trusted(); } };
    this.denials = options.denials;
    this.clock = options.clock ?? Date.now;
    this.counted = options.decisions?.cell(options.resource.type) ?? { allowed: 0, denied: 0 };
  }

  isAuthorized(request: AccessRequest): boolean {
    const origin = request.message.origin;
    if (origin === undefined || origin.via === 'local') return true;
    const subject = origin.via === 'channel' ? origin.peer : undefined;
    try {
      const now = this.now();
      const decision = decide({ subject, resource: this.resource, action: this.action, now }, this.context);
      if (decision.allowed) {
        this.counted.allowed++;
        return true;
      }
      this.counted.denied++;
      const entry = { at: now.toISOString(), resource: this.resource, action: this.action, reason: decision.reason };
      this.denials.record({
        ...entry,
        ...(subject?.identifier !== undefined ? { subject: subject.identifier } : {}),
        ...(decision.policy !== undefined ? { policy: decision.policy } : {}),
      });
      return false;
    } catch {
      this.counted.denied++;
      return false;
    }
  }

  /** The decision time, reusing one Date per millisecond so the hot path allocates less. */
  private now(): Date {
    const ms = this.clock();
    if (ms !== this.lastMillis) {
      this.lastMillis = ms;
      this.lastNow = new Date(ms);
    }
    return this.lastNow;
  }
}
