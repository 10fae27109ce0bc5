import { decide, type PolicyResource } from './decide.js';
import { OWN_PROJECT_MEMBER, PROJECT_ADMIN, type SyncDefaultRule } from './default-rules.js';
import type { PolicyLookup } from './policy.js';
import { testPolicyExpression } from './policy-test.js';
import type { PolicySubject } from './subject-record.js';
import { trustScope, type TrustScope } from './trust-scope.js';

/** Expected outcome of a case. */
export type ExpectedDecision = 'allow' | 'deny';

/** One case of a policy test suite: a subject, a resource and action, and the expected decision. */
export interface PolicyCase {
  /** Shown in the report; default `case N`. */
  readonly name: string;
  /** Credential attributes; `identifier`, `authority` and `project` (who vouched) may be among them. */
  readonly subject: Readonly<Record<string, string>>;
  readonly resource: { readonly type: string; readonly name: string };
  readonly action: string;
  /** Evaluation time; default now. */
  readonly now?: Date;
  readonly expect: ExpectedDecision;
  /** Line of the case in its file, for the report. */
  readonly line?: number;
}

/** The outcome of one case. */
export interface PolicyCaseResult {
  readonly name: string;
  readonly line?: number;
  readonly expected: ExpectedDecision;
  /** The verdict: for a policy in audit mode, what it would decide if enforced. */
  readonly actual: ExpectedDecision;
  readonly passed: boolean;
  /** Which policy (or default rule) decided and why, one line. */
  readonly reason: string;
  /** True when an audit-mode policy decided (its denials are not enforced yet). */
  readonly auditMode?: boolean;
}

/** What a suite runs against: one expression, or a node's policies with the node's project. */
export type PolicyCaseTarget =
  | { readonly kind: 'expression'; readonly expression: string }
  | { readonly kind: 'node'; readonly node: string; readonly policies: PolicyLookup; readonly project?: { readonly name: string; readonly authority: string } };

/** The default action of a resource type when a case names none. */
export const DEFAULT_ACTIONS: Readonly<Record<string, string>> = Object.freeze({
  'secure-channel-listener': 'handshake', 'tcp-inlet': 'connect', 'tcp-outlet': 'connect', relay: 'send', authority: 'call', worker: 'handle', policy: 'create',
});

/** The default rule a member node applies to a resource type when no policy does. */
function defaultRuleOf(type: string): SyncDefaultRule {
  return type === 'policy' ? PROJECT_ADMIN : OWN_PROJECT_MEMBER;
}

/**
 * Runs every case against `target` and reports each. Against an expression: the expression's
 * verdict, with the subject taken as given (as `policy test`). Against a node's policies: the
 * policy for the resource name, else its type, else the type's default rule as a member node
 * applies it (`own-project-member`; for `policy`, `project-admin`); a case subject whose
 * `project` names the node's project is vouched for by that project's authority. A policy in
 * audit mode is judged by what it would decide. Throws InvalidInputError for an invalid
 * expression.
 */
export function runPolicyCases(target: PolicyCaseTarget, cases: readonly PolicyCase[]): PolicyCaseResult[] {
  return cases.map((c) => {
    const outcome = target.kind === 'expression' ? byExpression(target.expression, c) : byNode(target, c);
    const actual: ExpectedDecision = outcome.allowed ? 'allow' : 'deny';
    return {
      name: c.name, ...(c.line !== undefined ? { line: c.line } : {}), expected: c.expect, actual, passed: actual === c.expect,
      reason: outcome.reason, ...(outcome.audit ? { auditMode: true } : {}),
    };
  });
}

interface Outcome { readonly allowed: boolean; readonly reason: string; readonly audit: boolean }

function byExpression(expression: string, c: PolicyCase): Outcome {
  const r = testPolicyExpression({ expression, subject: c.subject, resource: { ...c.resource, node: 'local' }, action: c.action, ...(c.now ? { now: c.now } : {}) });
  return { allowed: r.allowed, reason: r.summary, audit: false };
}

function byNode(target: Extract<PolicyCaseTarget, { kind: 'node' }>, c: PolicyCase): Outcome {
  const trust: TrustScope = trustScope(target.project ? [{ name: target.project.name, authority: target.project.authority, own: true }] : []);
  const { identifier, authority, project, ...attributes } = c.subject;
  const vouched = authority ?? (project !== undefined && project === target.project?.name ? target.project.authority : undefined);
  const subject: PolicySubject = {
    ...(identifier !== undefined ? { identifier } : {}), attributes,
    ...(vouched !== undefined ? { authority: vouched } : {}),
  };
  const resource: PolicyResource = { type: c.resource.type, name: c.resource.name, node: target.node };
  const decision = decide({ subject, resource, action: c.action, now: c.now ?? new Date() }, { policies: target.policies, trust, rule: defaultRuleOf(c.resource.type) });
  if (decision.audit === true) return { allowed: false, reason: decision.reason, audit: true };
  return { allowed: decision.allowed, reason: decision.reason, audit: false };
}
