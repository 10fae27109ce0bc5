/** CEL policies: compile, bound, cache, evaluate, explain; store; access control for core. */
export { POLICY_LIMITS } from './limits.js';
export type { PolicyLimits } from './limits.js';
export { compilePolicyExpression, PolicyExpression } from './policy-expression.js';
export type { PolicyActivation, EvaluationOutcome } from './policy-expression.js';
export { explain, summarize } from './explain.js';
export type { Explanation, ExplainStep, ExplainOutcome } from './explain.js';
export { RESOURCE_TYPES, assertPolicyScope, scopeLabel, createPolicy } from './policy.js';
export type { Decision, Policy, PolicyLookup, PolicyScope } from './policy.js';
export { decide, decideByDefault } from './decide.js';
export type { DecisionContext, DecisionRequest, PolicyResource, PolicySubject } from './decide.js';
export type { PolicyStore, StoreOptions } from './policy-store.js';
export { FilePolicyStore } from './policy-store-file.js';
export { PolicyAccessControl } from './policy-access-control.js';
export type { PolicyAccessControlOptions } from './policy-access-control.js';
export { DenialLog } from './denial-log.js';
export type { Denial, DenialCounts } from './denial-log.js';
export { testPolicyExpression, parseSubjectPairs } from './policy-test.js';
export type { PolicyTestInput, PolicyTestResult } from './policy-test.js';
