import { InvalidInputError } from '../core/errors.js';
import type { PolicyResource } from './decide.js';
import { explain } from './explain.js';
import type { Explanation } from './explain.js';
import { compilePolicyExpression } from './policy-expression.js';
import { copyAttributes } from './subject-record.js';

/** Input of `symbolon policy test`: an expression and a hypothetical request. */
export interface PolicyTestInput {
  readonly expression: string;
  /** Subject attributes; `identifier`, `authority` and `project` (who vouched) may be among them. */
  readonly subject: Readonly<Record<string, string>>;
  /** Defaults: type `worker`, name `test`, node `local`. */
  readonly resource?: Partial<PolicyResource>;
  /** Defaults to `send`. */
  readonly action?: string;
  /** Defaults to the current time. */
  readonly now?: Date;
}

/** The result of a policy test: allow or deny and which sub-expression decided it. */
export interface PolicyTestResult extends Explanation {
  readonly expression: string;
  readonly resource: PolicyResource;
  readonly action: string;
  /** ISO 8601 time the expression was evaluated at. */
  readonly now: string;
}

/**
 * Compiles `expression` (throwing InvalidInputError with the caret message when invalid) and
 * evaluates it against the given subject and resource, explaining the outcome. The subject is
 * taken as given: `authority` and `project` stand for who vouched (on a node they come from
 * the verified credential, never from its attributes).
 */
export function testPolicyExpression(input: PolicyTestInput): PolicyTestResult {
  const compiled = compilePolicyExpression(input.expression);
  const subject = Object.create(null) as Record<string, string>;
  const problem = copyAttributes(input.subject, subject);
  if (problem !== undefined) throw new InvalidInputError('policy', problem);
  for (const name of ['identifier', 'authority', 'project']) {
    const value = input.subject[name];
    if (value !== undefined) subject[name] = value;
  }
  Object.freeze(subject);
  const resource: PolicyResource = { type: input.resource?.type ?? 'worker', name: input.resource?.name ?? 'test', node: input.resource?.node ?? 'local' };
  const action = input.action ?? 'send';
  const now = input.now ?? new Date();
  const explanation = explain(compiled, { subject, resource: resource as unknown as Record<string, string>, action, now });
  return { ...explanation, expression: input.expression, resource, action, now: now.toISOString() };
}

/**
 * Parses `--subject k=v` arguments into attributes. The value may contain `=`; a key must be
 * 1-128 characters of letters, digits, `_`, `-` or `.`. Throws InvalidInputError otherwise.
 */
export function parseSubjectPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = at < 0 ? '' : pair.slice(0, at);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/.test(key)) throw new InvalidInputError('policy', `subject attribute must look like key=value, got ${JSON.stringify(pair.slice(0, 40))}`);
    out[key] = pair.slice(at + 1);
  }
  return out;
}
