import type { Policy, PolicyLookup, PolicyScope } from './policy.js';

/** Options every I/O method takes last. */
export interface StoreOptions { readonly signal?: AbortSignal }

/**
 * A node's policies, at most one per scope (resource name or resource type).
 * Reads for decisions go through the synchronous {@link PolicyLookup.policyFor}; changes are
 * persisted before the returned promise resolves.
 */
export interface PolicyStore extends PolicyLookup {
  /**
   * Compiles and stores a policy, replacing any policy of the same scope.
   * Throws InvalidInputError (with the compiler's line and caret) for an invalid expression.
   */
  create(scope: PolicyScope, expression: string, options?: StoreOptions): Promise<Policy>;
  /** All policies: resource policies first, then resource-type policies, each sorted by name. */
  list(options?: StoreOptions): Promise<Policy[]>;
  /** The policy of a scope; throws NotFoundError when there is none. */
  get(scope: PolicyScope, options?: StoreOptions): Promise<Policy>;
  /** Removes the policy of a scope; throws NotFoundError when there is none. */
  delete(scope: PolicyScope, options?: StoreOptions): Promise<void>;
}
