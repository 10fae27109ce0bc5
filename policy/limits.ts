/**
 * Structural and cost limits on policy expressions and on the values they are evaluated
 * against. CEL has no runtime cost limit in the engine used here, so every bound is enforced
 * before evaluation: on the source and its syntax tree when a policy is created, and on the
 * subject, resource and action when a decision is requested.
 */
export const POLICY_LIMITS = Object.freeze({
  /** Maximum expression source length, in UTF-16 code units (4 KiB). */
  maxSourceLength: 4096,
  /** Maximum nesting depth of the syntax tree (parser limit). */
  maxDepth: 32,
  /** Maximum number of syntax tree nodes (parser limit). */
  maxAstNodes: 512,
  /** Maximum elements in one list literal. */
  maxListElements: 64,
  /** Maximum entries in one map literal. */
  maxMapEntries: 32,
  /** Maximum arguments of one call. */
  maxCallArguments: 8,
  /** Maximum length of one string literal. */
  maxStringLiteral: 1024,
  /** Maximum nesting of comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`). */
  maxComprehensionNesting: 2,
  /** Maximum length of a regular expression given to `matches`. */
  maxPatternLength: 256,
  /** Upper bound on the estimated evaluation cost (abstract steps) of one expression. */
  maxCost: 100_000,
  /** Upper bound on the estimated size of any intermediate value (characters or elements). */
  maxValueSize: 4_000_000,
  /** Maximum number of subject attributes (the identifier included). */
  maxSubjectAttributes: 64,
  /** Maximum length of a subject, resource or action key. */
  maxKeyLength: 128,
  /** Maximum length of a subject attribute value, resource field or action. */
  maxValueLength: 1024,
});

/** The type of {@link POLICY_LIMITS}. */
export type PolicyLimits = typeof POLICY_LIMITS;
