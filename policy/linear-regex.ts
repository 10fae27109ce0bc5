import { RE2JS } from 're2js';
import { InvalidInputError } from '../core/errors.js';
import { POLICY_LIMITS } from './limits.js';

const MAX_CACHED_PATTERNS = 256;
const compiled = new Map<string, RE2JS>();

/**
 * Compiles `pattern` with RE2 semantics (linear time in the input, no backreferences or
 * lookaround). Throws InvalidInputError when the pattern is too long or not valid RE2 syntax.
 * Compiled patterns are cached (bounded; the cache is cleared when full).
 */
export function compileLinearRegex(pattern: string): RE2JS {
  const hit = compiled.get(pattern);
  if (hit !== undefined) return hit;
  if (pattern.length > POLICY_LIMITS.maxPatternLength) {
    throw new InvalidInputError('policy', `regular expression is ${pattern.length} characters, limit ${POLICY_LIMITS.maxPatternLength}`);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new InvalidInputError('policy', `invalid regular expression: ${detail}`, { cause });
  }
  if (compiled.size >= MAX_CACHED_PATTERNS) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

/**
 * CEL `matches` semantics (RE2, unanchored search) in time linear in `input`.
 * Throws InvalidInputError for an invalid or over-long pattern; a policy treats that as deny.
 */
export function linearMatches(input: string, pattern: string): boolean {
  return compileLinearRegex(pattern).matcher(input).find();
}
