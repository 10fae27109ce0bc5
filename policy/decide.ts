import { explain } from './explain.js';
import { OWN_PROJECT_MEMBER, type SyncDefaultRule } from './default-rules.js';
import { scopeLabel } from './policy.js';
import type { Decision, Policy, PolicyLookup } from './policy.js';
import type { PolicyActivation } from './policy-expression.js';
import { subjectRecord, type PolicySubject } from './subject-record.js';
import type { TrustScope } from './trust-scope.js';

export type { PolicySubject } from './subject-record.js';

/** The guarded resource. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly node: string;
  /** Kafka resource type `kafka-consume`: the topic (`resource.topic`). */
  readonly topic?: string;
}

/** One access decision to make. */
export interface DecisionRequest {
  readonly subject: PolicySubject | undefined;
  readonly resource: PolicyResource;
  readonly action: string;
  readonly now: Date;
}

/** What a decision is made against. */
export interface DecisionContext {
  readonly policies: PolicyLookup;
  /** Whose credentials count, and for which project. */
  readonly trust: TrustScope;
  /** The rule when no policy applies; default {@link OWN_PROJECT_MEMBER}. */
  readonly rule?: SyncDefaultRule;
}

/**
 * Decides one request. Precedence: a policy for the resource name, else one for the resource
 * type, else the default rule (see {@link decideByPolicy} for how a policy decides). Use the
 * node's enforcement point (`PolicyEnforcement`) rather than this in the product: it also
 * records denials.
 */
export function decide(request: DecisionRequest, context: DecisionContext): Decision {
  const policy = context.policies.policyFor(request.resource);
  if (policy !== undefined) return decideByPolicy(policy, request, context.trust);
  return (context.rule ?? OWN_PROJECT_MEMBER).decide({ subject: request.subject, resource: request.resource, action: request.action, trust: context.trust });
}

/**
 * The decision of one policy. The expression sees the subject's `identifier`, `authority`
 * and `project` (who vouched, when a trusted authority did) and its credential attributes:
 * those of any trusted project when the expression names `subject.project` or
 * `subject.authority`, else only those of the node's own project. It allows only when it
 * evaluates to `true`; an error, a missing attribute or any other value denies. On denial
 * the reason names the failing sub-expression (computed on the denial path only). A policy
 * in audit mode never denies: where it would, it allows with `audit: true` and that reason.
 */
export function decideByPolicy(policy: Policy, request: DecisionRequest, trust: TrustScope): Decision {
  const compiled = policy.compiled;
  if (compiled === undefined) return denial(policy, `denied by ${scopeLabel(policy.scope)} policy: stored expression does not compile: ${policy.compileError ?? ''}`);
  const subject = subjectRecord(request.subject, trust, compiled.namesVoucher ? 'any-project' : 'own-project');
  if (typeof subject === 'string') return denial(policy, `denied: ${subject}`);
  const activation: PolicyActivation = { subject, resource: request.resource as unknown as Readonly<Record<string, string>>, action: request.action, now: request.now };
  if (compiled.allows(activation)) return policy.allowDecision;
  const why = (): string => `denied by ${scopeLabel(policy.scope)} policy: ${explain(compiled, activation).summary}${otherProject(request.subject, trust, compiled.namesVoucher)}`;
  // Audit mode lets the traffic through, so this runs per message of a session it would
  // deny: the explanation (a slow path) is computed only when the decision is recorded.
  if (policy.mode === 'audit') return auditDecision(policy, why);
  return denial(policy, why());
}

/** An audit-mode allow that would have been a denial; its reason is computed on first read. */
function auditDecision(policy: Policy, why: () => string): Decision {
  let reason: string | undefined;
  return Object.defineProperty({ allowed: true, audit: true, policy: policy.allowDecision.policy! }, 'reason', {
    enumerable: true,
    get: () => (reason ??= `${AUDIT_MODE_REASON_PREFIX}${why()}`),
  }) as unknown as Decision;
}

/** The prefix of the reason of an audit-mode decision that would have denied. */
export const AUDIT_MODE_REASON_PREFIX = 'audit mode, allowed; would have been ';

/** A hint for the operator when the subject's attributes were hidden because another project vouched. */
function otherProject(subject: PolicySubject | undefined, trust: TrustScope, namesVoucher: boolean): string {
  if (namesVoucher || subject?.authority === undefined || trust.isOwn(subject.authority)) return '';
  const project = trust.projectOf(subject.authority);
  return project === undefined
    ? ' (the subject\'s credential comes from an authority this node does not trust)'
    : ` (the subject's credential comes from project ${project}, not this node's own; only a policy naming subject.project sees its attributes)`;
}

/**
 * A denial by `policy`; for a policy in audit mode, an allow marked `audit` whose reason says
 * why it would have been denied.
 */
function denial(policy: Policy, reason: string): Decision {
  if (policy.mode === 'audit') return { allowed: true, audit: true, reason: `${AUDIT_MODE_REASON_PREFIX}${reason}`, policy: policy.allowDecision.policy! };
  return { allowed: false, reason, policy: policy.allowDecision.policy! };
}
