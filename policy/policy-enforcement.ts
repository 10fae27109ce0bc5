import type { AccessControl, AccessRequest } from '../core/node/access-control.js';
import { decideByPolicy, type PolicyResource } from './decide.js';
import type { DecisionCell, DecisionCounts } from './decision-counts.js';
import { OWN_PROJECT_MEMBER, type DefaultRule, type SyncDefaultRule } from './default-rules.js';
import { denialRecord, type DenialLog } from './denial-log.js';
import type { Decision, PolicyLookup } from './policy.js';
import type { PolicySubject } from './subject-record.js';
import type { TrustScope } from './trust-scope.js';

/** A resource of this node, as an enforcement point names it. */
export interface EnforcedResource {
  readonly type: string;
  readonly name: string;
  /** Kafka resource types: the topic, `resource.topic` in CEL. */
  readonly topic?: string;
}

/** Options of {@link PolicyEnforcement}. */
export interface PolicyEnforcementOptions {
  /** The node's name (`resource.node`). */
  readonly node: string;
  readonly policies: PolicyLookup;
  readonly denials: DenialLog;
  /** The node's current trust scope, read at each decision (it changes when the node joins a project). */
  readonly trust: () => TrustScope;
  /** Where decisions are counted by resource type (for the node's metrics), if anywhere. */
  readonly decisions?: DecisionCounts;
  /** Milliseconds since the epoch; defaults to Date.now. */
  readonly clock?: () => number;
}

/** Options of {@link PolicyEnforcement.accessControl}. */
export interface AccessControlOptions {
  /** The rule when no policy applies; default {@link OWN_PROJECT_MEMBER}. Synchronous: it runs per message. */
  readonly rule?: SyncDefaultRule;
  /**
   * Refuse, before any policy, every message that did not come through a secure channel
   * from an authenticated peer, local ones included (services that act on the caller's
   * identity, such as the authority's).
   */
  readonly channelPeersOnly?: boolean;
}

/** An audit-mode policy's would-be denials are recorded once per resource, action and subject in this window (ms). */
export const AUDIT_RECORD_WINDOW_MS = 60_000;
/** Most keys the audit-record throttle keeps (then it starts afresh). */
const MAX_AUDIT_KEYS = 10_000;

const ERROR_DECISION = (error: unknown): Decision => ({ allowed: false, reason: `denied: ${error instanceof Error ? error.message : String(error)}` });

/**
 * The node's one enforcement point. Every check in the product is one of two calls:
 * {@link accessControl} for a worker address (core calls it per message) and
 * {@link authorize} for a one-shot check (a handshake, an inlet checking its outlet, a
 * relay registration). Both decide the same way: a policy for the resource name, else for
 * its type, else the enforcement point's named default rule; both record every refusal,
 * with its reason, in the denial log, and never tell the peer why.
 */
export class PolicyEnforcement {
  private readonly options: PolicyEnforcementOptions;
  /** When a would-be denial was last recorded, by resource, action and subject. */
  private readonly auditRecorded = new Map<string, number>();

  constructor(options: PolicyEnforcementOptions) {
    this.options = options;
  }

  /**
   * Core's AccessControl for `resource`: messages from this node (no origin, or via
   * `local`) pass unless `channelPeersOnly`; a message via a secure channel is decided for
   * its peer; a message via bare TCP has no subject, so only a policy (or rule) that admits
   * nobody-in-particular lets it through. Never throws.
   */
  accessControl(resource: EnforcedResource, action: string, options: AccessControlOptions = {}): AccessControl {
    const counted = this.options.decisions?.cell(resource.type) ?? { allowed: 0, denied: 0, wouldDeny: 0 };
    return new EnforcedAccessControl(this, this.resource(resource), action, options.rule ?? OWN_PROJECT_MEMBER, options.channelPeersOnly === true, this.options.clock ?? Date.now, counted);
  }

  /**
   * One decision for `subject` about `resource`/`action`. Synchronous with a synchronous
   * rule; with a rule that does I/O, a promise when that rule is asked. A rule that throws
   * or rejects denies. Refusals are recorded.
   */
  authorize(resource: EnforcedResource, action: string, subject: PolicySubject | undefined, rule?: SyncDefaultRule): boolean;
  authorize(resource: EnforcedResource, action: string, subject: PolicySubject | undefined, rule: DefaultRule): boolean | Promise<boolean>;
  authorize(resource: EnforcedResource, action: string, subject: PolicySubject | undefined, rule: DefaultRule = OWN_PROJECT_MEMBER): boolean | Promise<boolean> {
    const full = this.resource(resource);
    const now = new Date((this.options.clock ?? Date.now)());
    let decision: Decision | Promise<Decision>;
    try {
      decision = this.decision(full, action, subject, rule, now);
    } catch (error) {
      decision = ERROR_DECISION(error);
    }
    const settle = (d: Decision): boolean => {
      const allowed = this.settle(full, action, subject, d, now);
      this.options.decisions?.count(full.type, allowed, d.audit === true);
      return allowed;
    };
    if (!(decision instanceof Promise)) return settle(decision);
    return decision.then(settle, (error: unknown) => settle(ERROR_DECISION(error)));
  }

  /**
   * Records a refusal that a service decided from its own state rather than a policy (a relay
   * name held by another member), through the same denial record as every other refusal.
   */
  recordRefusal(resource: EnforcedResource, action: string, subject: PolicySubject | undefined, reason: string): void {
    const now = new Date((this.options.clock ?? Date.now)());
    this.settle(this.resource(resource), action, subject, { allowed: false, reason }, now);
  }

  /** True when a policy applies to the resource (by name, else by type). */
  hasPolicy(resource: EnforcedResource): boolean {
    return this.options.policies.policyFor(resource) !== undefined;
  }

  /** @internal The decision: policy, else rule. May throw. */
  decision(resource: PolicyResource, action: string, subject: PolicySubject | undefined, rule: DefaultRule, now: Date): Decision | Promise<Decision> {
    const trust = this.options.trust();
    const policy = this.options.policies.policyFor(resource);
    if (policy !== undefined) return decideByPolicy(policy, { subject, resource, action, now }, trust);
    return rule.decide({ subject, resource, action, trust });
  }

  /**
   * @internal Records a refusal, or what an audit-mode policy would have refused (the one
   * place a denial record is built), and returns the answer.
   */
  settle(resource: PolicyResource, action: string, subject: PolicySubject | undefined, decision: Decision, now: Date): boolean {
    if (decision.allowed === true && (decision.audit !== true || !this.auditRecordDue(resource, action, subject, now))) return true;
    try {
      this.options.denials.record(denialRecord(now, resource, action, subject, decision));
    } catch {
      // recording must not turn a refusal into an error
    }
    return decision.allowed === true;
  }

  /**
   * True when a would-be denial of an audit-mode policy should be recorded: the first one per
   * resource, action and subject in each {@link AUDIT_RECORD_WINDOW_MS} (audit mode lets the
   * session go on, so it would otherwise be recorded once per message; the metrics still
   * count every one).
   */
  private auditRecordDue(resource: PolicyResource, action: string, subject: PolicySubject | undefined, now: Date): boolean {
    const key = `${resource.type}\u0000${resource.name}\u0000${action}\u0000${subject?.identifier ?? ''}`;
    const at = now.getTime();
    const last = this.auditRecorded.get(key);
    if (last !== undefined && at - last < AUDIT_RECORD_WINDOW_MS) return false;
    if (this.auditRecorded.size >= MAX_AUDIT_KEYS) this.auditRecorded.clear();
    this.auditRecorded.set(key, at);
    return true;
  }

  private resource(resource: EnforcedResource): PolicyResource {
    return Object.freeze({ type: resource.type, name: resource.name, node: this.options.node, ...(resource.topic !== undefined ? { topic: resource.topic } : {}) });
  }
}

/** One address's access control, built by {@link PolicyEnforcement.accessControl}. */
class EnforcedAccessControl implements AccessControl {
  private lastMillis = Number.NaN;
  private lastNow = new Date(0);

  constructor(
    private readonly enforcement: PolicyEnforcement,
    private readonly resource: PolicyResource,
    private readonly action: string,
    private readonly rule: SyncDefaultRule,
    private readonly channelPeersOnly: boolean,
    private readonly clock: () => number,
    private readonly counted: DecisionCell,
  ) {}

  isAuthorized(request: AccessRequest): boolean {
    const origin = request.message.origin;
    const subject = origin?.via === 'channel' ? origin.peer : undefined;
    if (this.channelPeersOnly) {
      if (subject === undefined) return false;
    } else if (origin === undefined || origin.via === 'local') {
      return true;
    }
    const now = this.now();
    let decision: Decision;
    try {
      decision = this.enforcement.decision(this.resource, this.action, subject, this.rule, now) as Decision;
    } catch (error) {
      decision = ERROR_DECISION(error);
    }
    const allowed = this.enforcement.settle(this.resource, this.action, subject, decision, now);
    if (allowed) this.counted.allowed++;
    else this.counted.denied++;
    if (decision.audit === true) this.counted.wouldDeny++;
    return allowed;
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
