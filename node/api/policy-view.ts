import type { Denial, DenialCounts } from '../../policy/denial-log.js';
import type { Policy, PolicyMode, PolicyScope } from '../../policy/policy.js';

/** A policy as the control methods return it. */
export interface PolicyView {
  readonly scope: PolicyScope;
  /** `resource NAME` or `resource-type TYPE`. */
  readonly label: string;
  readonly expression: string;
  readonly createdAt: string;
  /** False when a stored expression no longer compiles (the policy then denies). */
  readonly valid: boolean;
  readonly compileError?: string;
  /** `enforce`, or `audit` (decides and records what it would have denied, never denies). */
  readonly mode: PolicyMode;
}

/** What `policy.list` returns. */
export interface PolicyList {
  readonly policies: readonly PolicyView[];
}

/** What `policy.denials` returns. */
export interface PolicyDenials {
  readonly denials: readonly Denial[];
  readonly counts: DenialCounts;
}

/** The view of a stored policy. */
export function policyView(policy: Policy): PolicyView {
  const label = policy.scope.kind === 'resource' ? `resource ${policy.scope.name}` : `resource-type ${policy.scope.type}`;
  return {
    scope: policy.scope, label, expression: policy.expression, createdAt: policy.createdAt, valid: policy.compiled !== undefined, mode: policy.mode,
    ...(policy.compileError !== undefined ? { compileError: policy.compileError } : {}),
  };
}
