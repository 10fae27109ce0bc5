import type { ASTNode } from '@marcbachmann/cel-js';
import { compilePolicyExpression } from './policy-expression.js';

/** `subject` fields the node fills in itself, never credential attributes. */
const NOT_ATTRIBUTES: ReadonlySet<string> = new Set(['identifier', 'authority', 'project']);

/**
 * The credential attribute names a policy expression reads from `subject`
 * (`subject.NAME`, `subject.?NAME`, `subject["NAME"]`, `has(subject.NAME)`), sorted, without
 * the fields the node fills in itself (identifier, authority, project). Throws
 * InvalidInputError when the expression does not compile.
 */
export function subjectAttributeNames(expression: string): string[] {
  const names = new Set<string>();
  visit(compilePolicyExpression(expression).ast, names);
  return [...names].filter((n) => !NOT_ATTRIBUTES.has(n)).sort();
}

function isSubject(node: unknown): boolean {
  return isNode(node) && node.op === 'id' && node.args === 'subject';
}

function isNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string' && 'args' in value;
}

function visit(value: unknown, names: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) visit(item, names);
    return;
  }
  if (!isNode(value)) return;
  const args = value.args as unknown;
  if (Array.isArray(args) && isSubject(args[0])) {
    const key = args[1] as unknown;
    if ((value.op === '.' || value.op === '.?') && typeof key === 'string') names.add(key);
    if ((value.op === '[]' || value.op === '[?]') && isNode(key) && key.op === 'value' && typeof key.args === 'string') names.add(key.args);
  }
  visit(args, names);
}
