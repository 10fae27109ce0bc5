import type { Policy, PolicyLookup, PolicyMode, PolicyScope } from './policy.js';

/** Options every I/O method takes last. */
export interface StoreOptions { readonly signal?: AbortSignal }

/**
 * Who made a change, for the node's record of it: `actor` (`local:USER`, or the identifier of
 * a project admin) and plain fields (user and uid, or the identity and where it came from).
 */
export interface PolicyChangeAuthor {
  readonly actor: string;
  readonly fields: Readonly<Record<string, string | number | boolean>>;
}

/** Options of {@link PolicyStore.create} and {@link PolicyStore.delete}. */
export interface ChangeOptions extends StoreOptions {
  /** Who asks for the change (told to change listeners); absent: the local user. */
  readonly by?: PolicyChangeAuthor;
}

/** Options of {@link PolicyStore.create}. */
export interface CreateOptions extends ChangeOptions {
  /** Default `enforce`. */
  readonly mode?: PolicyMode;
}

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
  create(scope: PolicyScope, expression: string, options?: CreateOptions): Promise<Policy>;
  /** All policies: resource policies first, then resource-type policies, each sorted by name. */
  list(options?: StoreOptions): Promise<Policy[]>;
  /** The policy of a scope; throws NotFoundError when there is none. */
  get(scope: PolicyScope, options?: StoreOptions): Promise<Policy>;
  /** Removes the policy of a scope; throws NotFoundError when there is none. */
  delete(scope: PolicyScope, options?: ChangeOptions): Promise<void>;
}
