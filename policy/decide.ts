import { explain } from './explain.js';
import { POLICY_LIMITS } from './limits.js';
import { scopeLabel } from './policy.js';
import type { Decision, Policy, PolicyLookup } from './policy.js';
import type { PolicyActivation } from './policy-expression.js';

/** Who asks: an authenticated peer, or undefined when nobody vouched for the sender. */
export interface PolicySubject {
  readonly identifier?: string;
  /** Attributes from verified credentials. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Identifier of the authority whose credential produced `attributes`. */
  readonly authority?: string;
}

/** The guarded resource. */
export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly node: string;
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
  /** Identifiers of trusted authorities; empty when none is configured. */
  readonly trustedAuthorities: readonly string[];
}

const DEFAULT_ALLOW: Decision = Object.freeze({ allowed: true, reason: 'allowed by default: the subject holds a credential from a trusted authority' });
const NO_AUTHORITY: Decision = Object.freeze({ allowed: false, reason: 'denied by default: no policy and no trusted authority is configured' });
const NO_CREDENTIAL: Decision = Object.freeze({ allowed: false, reason: 'denied by default: no policy and the subject holds no credential from a trusted authority' });
const NO_SUBJECT: Decision = Object.freeze({ allowed: false, reason: 'denied by default: no policy and the sender is not authenticated' });

const EMPTY_SUBJECT: Readonly<Record<string, string>> = Object.freeze(Object.create(null) as Record<string, string>);
const subjects = new WeakMap<PolicySubject, Readonly<Record<string, string>> | string>();

/**
 * The `subject` variable for a subject: `identifier` plus its attributes, in a
 * null-prototype object (so `has(subject.toString)` is false), cached per subject object.
 * Returns a string (the reason) when the subject exceeds the attribute limits.
 */
export function subjectRecord(subject: PolicySubject | undefined): Readonly<Record<string, string>> | string {
  if (subject === undefined) return EMPTY_SUBJECT;
  const cached = subjects.get(subject);
  if (cached !== undefined) return cached;
  const record = buildSubject(subject);
  subjects.set(subject, record);
  return record;
}

function buildSubject(subject: PolicySubject): Readonly<Record<string, string>> | string {
  const record = Object.create(null) as Record<string, string>;
  const entries = Object.entries(subject.attributes ?? {});
  if (entries.length + 1 > POLICY_LIMITS.maxSubjectAttributes) return `subject has ${entries.length} attributes, limit ${POLICY_LIMITS.maxSubjectAttributes - 1}`;
  for (const [key, value] of entries) {
    if (typeof value !== 'string' || key.length > POLICY_LIMITS.maxKeyLength || value.length > POLICY_LIMITS.maxValueLength) {
      return `subject attribute ${JSON.stringify(key.slice(0, 32))} exceeds the size limits`;
    }
    record[key] = value;
  }
  if (subject.identifier !== undefined) record['identifier'] = subject.identifier;
  return Object.freeze(record);
}

/**
 * Decides one request. Precedence: a policy for the resource name, else one for the resource
 * type, else the default (allow iff the subject's credential comes from a trusted authority;
 * with no authority configured, remote subjects are denied). An expression allows only when it
 * evaluates to `true`; an error, a missing attribute or any other value denies. On denial the
 * reason names the failing sub-expression (computed on the denial path only).
 */
export function decide(request: DecisionRequest, context: DecisionContext): Decision {
  const policy = context.policies.policyFor(request.resource);
  if (policy === undefined) return decideByDefault(request.subject, context.trustedAuthorities);
  const subject = subjectRecord(request.subject);
  if (typeof subject === 'string') return denial(policy, `denied: ${subject}`);
  const compiled = policy.compiled;
  if (compiled === undefined) return denial(policy, `denied by ${scopeLabel(policy.scope)} policy: stored expression does not compile: ${policy.compileError ?? ''}`);
  const activation: PolicyActivation = { subject, resource: request.resource as unknown as Readonly<Record<string, string>>, action: request.action, now: request.now };
  if (compiled.allows(activation)) return policy.allowDecision;
  return denial(policy, `denied by ${scopeLabel(policy.scope)} policy: ${explain(compiled, activation).summary}`);
}

/** The decision when no policy applies. */
export function decideByDefault(subject: PolicySubject | undefined, trustedAuthorities: readonly string[]): Decision {
  if (subject === undefined) return NO_SUBJECT;
  if (trustedAuthorities.length === 0) return NO_AUTHORITY;
  if (subject.authority !== undefined && trustedAuthorities.includes(subject.authority)) return DEFAULT_ALLOW;
  return NO_CREDENTIAL;
}

function denial(policy: Policy, reason: string): Decision {
  return { allowed: false, reason, policy: policy.allowDecision.policy! };
}
