import { Environment } from '@marcbachmann/cel-js';
import { POLICY_LIMITS } from './limits.js';
import { linearMatches } from './linear-regex.js';

/**
 * Name under which the RE2-backed `matches` is registered. The engine's own `matches` uses
 * a backtracking regex and cannot be replaced in place, so the compiler renames every
 * `.matches(...)` call to this method before type-checking.
 */
export const LINEAR_MATCHES = 'matches_re2';

/** CEL type name of timestamps in the engine (what `now` is declared as). */
export const TIMESTAMP_TYPE = 'google.protobuf.Timestamp';

/**
 * The one CEL environment every policy is compiled in: variables `subject` and `resource`
 * (maps of string to string), `action` (string) and `now` (timestamp), parser limits from
 * {@link POLICY_LIMITS}, and `matches` backed by RE2. Created once; never mutated afterwards.
 */
export const policyEnvironment: Environment = new Environment({
  limits: {
    maxAstNodes: POLICY_LIMITS.maxAstNodes,
    maxDepth: POLICY_LIMITS.maxDepth,
    maxListElements: POLICY_LIMITS.maxListElements,
    maxMapEntries: POLICY_LIMITS.maxMapEntries,
    maxCallArguments: POLICY_LIMITS.maxCallArguments,
  },
})
  .registerVariable('subject', 'map<string, string>', { description: 'identifier and verified credential attributes of the peer' })
  .registerVariable('resource', 'map<string, string>', { description: 'type, name and node of the guarded resource' })
  .registerVariable('action', 'string', { description: 'what the subject asks to do' })
  .registerVariable('now', TIMESTAMP_TYPE, { description: 'the time of the decision' })
  .registerFunction(`string.${LINEAR_MATCHES}(string): bool`, (input: string, pattern: string) => linearMatches(input, pattern));

/** Replaces the internal method name in an engine message with the name the author wrote. */
export function publicMessage(message: string): string {
  return message.replaceAll(LINEAR_MATCHES, 'matches').replaceAll(TIMESTAMP_TYPE, 'timestamp');
}
