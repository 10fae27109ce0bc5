import { describe, expect, it } from 'vitest';
import { explain } from './explain.js';
import { compilePolicyExpression } from './policy-expression.js';
import type { PolicyActivation } from './policy-expression.js';

const subject = Object.assign(Object.create(null) as Record<string, string>, { identifier: 'I1', component: 'db', env: 'prod' });
const activation: PolicyActivation = { subject, resource: { type: 'worker', name: 'echo', node: 'n' }, action: 'send', now: new Date('2026-01-01T10:00:00Z') };

describe('explain', () => {
  it('names the false operand of a conjunction with its source span', () => {
    const source = 'subject.env == "prod" && subject.component == "analysis"';
    const e = explain(compilePolicyExpression(source), activation);
    expect(e.allowed).toBe(false);
    expect(e.summary).toBe('`subject.component == "analysis"` evaluated to false');
    expect(source.slice(e.decidedBy.start, e.decidedBy.end)).toBe('subject.component == "analysis"');
    expect(e.steps.map((s) => s.outcome)).toEqual(['true', 'false']);
  });

  it('names a missing attribute', () => {
    const e = explain(compilePolicyExpression('subject.env == "prod" && subject.team == "red"'), activation);
    expect(e.outcome).toBe('error');
    expect(e.summary).toBe('`subject.team == "red"` failed: no such key: team');
  });

  it('reports a failed disjunction as a whole', () => {
    const e = explain(compilePolicyExpression('subject.component == "analysis" || subject.env == "dev"'), activation);
    expect(e.summary).toBe('`subject.component == "analysis" || subject.env == "dev"` evaluated to false');
    expect(e.steps).toHaveLength(2);
  });

  it('names the operand that satisfied a disjunction', () => {
    const e = explain(compilePolicyExpression('subject.component == "analysis" || subject.env == "prod"'), activation);
    expect(e.allowed).toBe(true);
    expect(e.decidedBy.text).toBe('subject.env == "prod"');
  });

  it('looks through negation and parentheses', () => {
    const e = explain(compilePolicyExpression('!(subject.component.startsWith("d")) && (subject.env == "prod" || false)'), activation);
    expect(e.allowed).toBe(false);
    expect(e.summary).toBe('`subject.component.startsWith("d")` evaluated to true');
  });

  it('explains an error absorbed by a false operand as the false operand', () => {
    const e = explain(compilePolicyExpression('subject.team == "x" && subject.env == "dev"'), activation);
    expect(e.outcome).toBe('false');
    expect(e.decidedBy.text).toBe('subject.env == "dev"');
  });

  it('agrees with evaluation on the whole expression', () => {
    for (const source of ['true', 'false', '!true', 'subject.env == "prod"', 'subject.x == "a" || true', 'now.getHours() == 10 && action == "send"']) {
      const compiled = compilePolicyExpression(source);
      expect(explain(compiled, activation).allowed).toBe(compiled.allows(activation));
    }
  });
});
