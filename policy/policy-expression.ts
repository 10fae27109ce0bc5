import type { ASTNode, ParseResult } from '@marcbachmann/cel-js';
import { InvalidInputError } from '../core/errors.js';
import { policyEnvironment, publicMessage } from './cel-environment.js';
import { checkExpressionBounds } from './expression-bounds.js';
import { POLICY_LIMITS } from './limits.js';

/** The variables a policy expression is evaluated against. */
export interface PolicyActivation {
  /** `identifier` plus every verified credential attribute. */
  readonly subject: Readonly<Record<string, string>>;
  /** `type`, `name` and `node` of the guarded resource. */
  readonly resource: Readonly<Record<string, string>>;
  readonly action: string;
  readonly now: Date;
}

/** What evaluating an expression produced: a value, or the error that stopped it. */
export type EvaluationOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: string };

/** Characters refused anywhere in a source: controls other than tab/CR/LF, and invisible formatting (bidi overrides, zero-width). */
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;
const MAX_CACHED = 1024;
const cache = new Map<string, PolicyExpression>();

/**
 * A policy expression compiled once: parsed, bounded, type-checked as `bool`.
 * Obtain instances with {@link compilePolicyExpression}.
 */
export class PolicyExpression {
  /** @internal use {@link compilePolicyExpression}. */
  constructor(
    /** The source text as written. */
    readonly source: string,
    /** The checked syntax tree (for explanations). */
    readonly ast: ASTNode,
    /** Estimated worst-case evaluation cost in abstract steps. */
    readonly estimatedCost: number,
    private readonly program: ParseResult,
  ) {
    this.namesVoucher = namesVoucher(ast);
  }

  /**
   * True when the expression reads `subject.project` or `subject.authority`: only such a
   * policy sees attributes vouched for by a trusted project other than the node's own.
   */
  readonly namesVoucher: boolean;

  /**
   * True only when the expression evaluates to exactly `true`. Errors (a missing attribute,
   * a bad regular expression, an overflow) and any other value mean false. Never throws.
   */
  allows(activation: PolicyActivation): boolean {
    try {
      return this.program(activation) === true;
    } catch {
      return false;
    }
  }

  /** Evaluates and reports the value or the error message (slow path: explanations, tests). */
  evaluate(activation: PolicyActivation): EvaluationOutcome {
    try {
      return { ok: true, value: this.program(activation) };
    } catch (error) {
      return { ok: false, error: describeError(error) };
    }
  }
}

/** One line describing an engine error, with internal names mapped back to the written ones. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const summary = (error as { summary?: unknown }).summary;
    const line = typeof summary === 'string' && summary !== '' ? summary : (error.message.split('\n')[0] ?? error.message);
    const text = publicMessage(line);
    return text.charAt(0).toLowerCase() + text.slice(1);
  }
  return String(error);
}

/**
 * Compiles a policy expression, or returns the cached compilation of the same source text.
 * Throws InvalidInputError when the source is too long, holds invisible or control
 * characters, does not parse, exceeds a structural or cost limit, uses a function that is not
 * allowed, or does not type-check as `bool`. Parse and type errors carry the engine's
 * line-and-caret rendering after the first line.
 */
export function compilePolicyExpression(source: string): PolicyExpression {
  const hit = cache.get(source);
  if (hit !== undefined) return hit;
  if (typeof source !== 'string') throw new InvalidInputError('policy', 'policy expression must be a string');
  if (source.length > POLICY_LIMITS.maxSourceLength) {
    throw new InvalidInputError('policy', `policy expression is ${source.length} characters, limit ${POLICY_LIMITS.maxSourceLength}`);
  }
  if (source.trim() === '') throw new InvalidInputError('policy', 'policy expression is empty');
  const bad = FORBIDDEN_CHARACTERS.exec(source);
  if (bad !== null) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new InvalidInputError('policy', `policy expression contains invisible or control character U+${code} at ${bad.index}; write it as an escape inside a string`);
  }
  let program: ParseResult;
  try {
    program = policyEnvironment.parse(source);
  } catch (cause) {
    throw new InvalidInputError('policy', `invalid policy expression: ${publicMessage(errorText(cause))}`, { cause });
  }
  const cost = checkExpressionBounds(program.ast);
  const checked = program.check();
  if (!checked.valid) {
    throw new InvalidInputError('policy', `invalid policy expression: ${publicMessage(errorText(checked.error))}`, { cause: checked.error });
  }
  if (checked.type !== 'bool') {
    throw new InvalidInputError('policy', `policy expression must evaluate to bool, not ${publicMessage(checked.type ?? 'unknown')}`);
  }
  const compiled = new PolicyExpression(source, program.ast, cost, program);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(source, compiled);
  return compiled;
}

const VOUCHER_NAMES = new Set(['project', 'authority']);

/** True when `node` holds `subject.project`, `subject.authority` or the `subject["..."]` forms. */
function namesVoucher(node: unknown): boolean {
  if (Array.isArray(node)) return node.some(namesVoucher);
  if (typeof node !== 'object' || node === null || !('op' in node)) return false;
  const { op, args } = node as ASTNode;
  if ((op === '.' || op === '[]') && Array.isArray(args)) {
    const [target, field] = args as unknown[];
    const isSubject = typeof target === 'object' && target !== null && (target as ASTNode).op === 'id' && (target as ASTNode).args === 'subject';
    const name = op === '.' ? field : typeof field === 'object' && field !== null && (field as ASTNode).op === 'value' ? (field as ASTNode).args : undefined;
    if (isSubject && typeof name === 'string' && VOUCHER_NAMES.has(name)) return true;
  }
  return namesVoucher(args);
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const text = error.message.trim();
  return text.charAt(0).toLowerCase() + text.slice(1);
}
