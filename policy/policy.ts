import { InvalidInputError } from '../core/errors.js';
import { compilePolicyExpression } from './policy-expression.js';
import type { PolicyExpression } from './policy-expression.js';

/**
 * The resource types a policy may name with `--resource-type`: every type an enforcement
 * point decides for. Any other type is refused when a policy is created (it would never apply).
 */
export const RESOURCE_TYPES = ['secure-channel-listener', 'tcp-inlet', 'tcp-outlet', 'relay', 'authority', 'worker', 'kafka-inlet', 'kafka-outlet', 'kafka-consume', 'kafka-produce', 'policy'] as const;

/** One of {@link RESOURCE_TYPES}. */
export type ResourceType = (typeof RESOURCE_TYPES)[number];

/** True when `type` is one of {@link RESOURCE_TYPES}. */
export function isResourceType(type: string): type is ResourceType {
  return (RESOURCE_TYPES as readonly string[]).includes(type);
}

/** Throws InvalidInputError, listing the known types, unless `type` is one of {@link RESOURCE_TYPES}. */
export function assertResourceType(type: string): ResourceType {
  if (!isResourceType(type)) {
    throw new InvalidInputError('policy', `unknown resource type '${type}': use one of ${RESOURCE_TYPES.join(', ')} (a named worker is --resource NAME, or --resource-type worker)`);
  }
  return type;
}

/**
 * How a policy acts: `enforce` (its decision stands) or `audit` (it decides and records what
 * it would have denied, but never denies: a stricter rule can be rolled out safely).
 */
export type PolicyMode = 'enforce' | 'audit';

/** Every {@link PolicyMode}. */
export const POLICY_MODES: readonly PolicyMode[] = ['enforce', 'audit'];

/** Throws InvalidInputError unless `mode` is a {@link PolicyMode}. */
export function assertPolicyMode(mode: string): PolicyMode {
  if (!(POLICY_MODES as readonly string[]).includes(mode)) throw new InvalidInputError('policy', `unknown policy mode '${mode}': use enforce or audit`);
  return mode as PolicyMode;
}

/** What a policy is attached to: one named resource, or every resource of a type. */
export type PolicyScope =
  | { readonly kind: 'resource'; readonly name: string }
  | { readonly kind: 'resource-type'; readonly type: string };

/** The outcome of a decision, as returned to enforcement points and logged on denial. */
export interface Decision {
  readonly allowed: boolean;
  /** For the local operator only; never sent to a peer. */
  readonly reason: string;
  /** The policy that decided, absent when the default decided. */
  readonly policy?: { readonly scope: PolicyScope; readonly expression: string };
  /**
   * True when an audit-mode policy would have denied: `allowed` is true and `reason` says
   * why it would have been denied. Enforcement points record it (marked audit) and count it.
   */
  readonly audit?: boolean;
}

/** A stored policy with its compiled expression and precomputed allow decision. */
export interface Policy {
  readonly scope: PolicyScope;
  /** The expression source as written. */
  readonly expression: string;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
  /** `enforce`, or `audit` (never denies; records what it would have denied). */
  readonly mode: PolicyMode;
  /** The compilation; absent when a stored source no longer compiles (the policy then denies). */
  readonly compiled?: PolicyExpression;
  /** Why a stored source does not compile. */
  readonly compileError?: string;
  /** The decision returned when the expression allows (shared, frozen: no allocation per decision). */
  readonly allowDecision: Decision;
}

/** Where policies are looked up on the hot path: synchronous, in memory. */
export interface PolicyLookup {
  /** The policy for this resource name, else for its type, else undefined. */
  policyFor(resource: { readonly type: string; readonly name: string }): Policy | undefined;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;

/** Throws InvalidInputError unless the scope names a resource of a sane shape or one of {@link RESOURCE_TYPES}. */
export function assertPolicyScope(scope: PolicyScope): void {
  const value = scope.kind === 'resource' ? scope.name : scope.kind === 'resource-type' ? scope.type : undefined;
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidInputError('policy', `policy scope must be a resource name or type of 1-128 letters, digits and . _ : @ / -`);
  }
  if (scope.kind === 'resource-type') assertResourceType(scope.type);
}

/** A human-readable label: `resource echo`, `resource-type worker`. */
export function scopeLabel(scope: PolicyScope): string {
  return scope.kind === 'resource' ? `resource ${scope.name}` : `resource-type ${scope.type}`;
}

/** Builds a policy, compiling its expression. Throws InvalidInputError on an invalid expression. */
export function createPolicy(scope: PolicyScope, expression: string, createdAt: string, mode: PolicyMode = 'enforce'): Policy {
  assertPolicyScope(scope);
  assertPolicyMode(mode);
  return withCompilation(scope, expression, createdAt, mode, compilePolicyExpression(expression), undefined);
}

/** Builds a policy from storage: a source that no longer compiles yields a policy that denies. */
export function restorePolicy(scope: PolicyScope, expression: string, createdAt: string, mode: PolicyMode = 'enforce'): Policy {
  const known: PolicyMode = mode === 'audit' ? 'audit' : 'enforce';
  try {
    return createPolicy(scope, expression, createdAt, known);
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    return withCompilation(scope, expression, createdAt, known, undefined, message);
  }
}

function withCompilation(scope: PolicyScope, expression: string, createdAt: string, mode: PolicyMode, compiled: PolicyExpression | undefined, compileError: string | undefined): Policy {
  const frozenScope = Object.freeze({ ...scope });
  const allowDecision: Decision = Object.freeze({
    allowed: true,
    reason: `allowed by ${scopeLabel(scope)} policy`,
    policy: Object.freeze({ scope: frozenScope, expression }),
  });
  const base = { scope: frozenScope, expression, createdAt, mode, allowDecision };
  return Object.freeze(compiled !== undefined ? { ...base, compiled } : { ...base, compileError: compileError ?? 'does not compile' });
}
