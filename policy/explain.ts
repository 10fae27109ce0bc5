import type { ASTNode } from '@marcbachmann/cel-js';
import { compilePolicyExpression, describeError } from './policy-expression.js';
import type { PolicyActivation, PolicyExpression } from './policy-expression.js';

/** How one (sub-)expression came out. */
export type ExplainOutcome = 'true' | 'false' | 'error' | 'not-bool';

/** One evaluated top-level sub-expression, with its place in the source. */
export interface ExplainStep {
  /** The sub-expression's source text. */
  readonly text: string;
  /** Offsets into the policy source, end exclusive. */
  readonly start: number;
  readonly end: number;
  readonly outcome: ExplainOutcome;
  /** The engine's error, for outcome `error`. */
  readonly error?: string;
}

/** Why an expression allowed or denied. */
export interface Explanation {
  readonly allowed: boolean;
  /** The outcome of the whole expression. */
  readonly outcome: ExplainOutcome;
  /** The sub-expression that decided the result. */
  readonly decidedBy: ExplainStep;
  /** One line, e.g. `` `subject.component == "analysis"` evaluated to false ``. */
  readonly summary: string;
  /** Every top-level sub-expression that was evaluated, left to right. */
  readonly steps: readonly ExplainStep[];
}

interface Walked { readonly outcome: ExplainOutcome; readonly decider: ExplainStep }

/**
 * Explains a decision: splits the expression along its top-level `&&`, `||` and `!`,
 * evaluates each operand on its own against the same activation, and names the operand that
 * decided the result (the first false operand of a failed `&&`, the true operand of a
 * satisfied `||`, the operand that failed with an error). Slow path: for denials and tests.
 */
export function explain(expression: PolicyExpression, activation: PolicyActivation): Explanation {
  const steps: ExplainStep[] = [];
  const result = walk(expression.source, expression.ast, activation, steps);
  return { allowed: result.outcome === 'true', outcome: result.outcome, decidedBy: result.decider, summary: summarize(result.decider), steps };
}

/** One line describing a step's outcome. */
export function summarize(step: ExplainStep): string {
  switch (step.outcome) {
    case 'error': return `\`${step.text}\` failed: ${step.error ?? 'error'}`;
    case 'not-bool': return `\`${step.text}\` did not evaluate to a bool`;
    default: return `\`${step.text}\` evaluated to ${step.outcome}`;
  }
}

function walk(source: string, node: ASTNode, activation: PolicyActivation, steps: ExplainStep[]): Walked {
  if (node.op === '&&' || node.op === '||') {
    const left = walk(source, node.args[0], activation, steps);
    const right = walk(source, node.args[1], activation, steps);
    const short = node.op === '&&' ? 'false' : 'true';
    if (left.outcome === short) return left;
    if (right.outcome === short) return right;
    if (left.outcome === 'error' || left.outcome === 'not-bool') return left;
    if (right.outcome === 'error' || right.outcome === 'not-bool') return right;
    return { outcome: node.op === '&&' ? 'true' : 'false', decider: step(source, node, node.op === '&&' ? 'true' : 'false') };
  }
  if (node.op === '!_') {
    const inner = walk(source, node.args, activation, steps);
    const outcome = inner.outcome === 'true' ? 'false' : inner.outcome === 'false' ? 'true' : inner.outcome;
    return { outcome, decider: inner.decider };
  }
  const leaf = evaluateLeaf(source, node, activation);
  steps.push(leaf);
  return { outcome: leaf.outcome, decider: leaf };
}

function step(source: string, node: ASTNode, outcome: ExplainOutcome, error?: string): ExplainStep {
  const text = source.slice(node.start, node.end);
  return error === undefined
    ? { text, start: node.start, end: node.end, outcome }
    : { text, start: node.start, end: node.end, outcome, error };
}

function evaluateLeaf(source: string, node: ASTNode, activation: PolicyActivation): ExplainStep {
  let result;
  try {
    result = compilePolicyExpression(source.slice(node.start, node.end)).evaluate(activation);
  } catch (error) {
    return step(source, node, 'error', describeError(error));
  }
  if (!result.ok) return step(source, node, 'error', result.error);
  if (result.value === true) return step(source, node, 'true');
  if (result.value === false) return step(source, node, 'false');
  return step(source, node, 'not-bool');
}
