import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { compilePolicyExpression } from './policy-expression.js';
import type { PolicyActivation } from './policy-expression.js';

const activation: PolicyActivation = {
  subject: Object.assign(Object.create(null) as Record<string, string>, { identifier: 'I1', component: 'analysis' }),
  resource: { type: 'worker', name: 'echo', node: 'n' },
  action: 'send',
  now: new Date('2026-01-01T00:00:00Z'),
};

describe('compilePolicyExpression', () => {
  it('compiles once and caches by source text', () => {
    const a = compilePolicyExpression('subject.component == "analysis"');
    expect(compilePolicyExpression('subject.component == "analysis"')).toBe(a);
    expect(a.allows(activation)).toBe(true);
  });

  it('rejects a syntax error with the line and caret', () => {
    try {
      compilePolicyExpression('subject.component ==');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      expect((error as Error).message).toMatch(/^invalid policy expression: unexpected token/);
      expect((error as Error).message).toContain('|');
      expect((error as Error).message).toContain('^');
    }
  });

  it('rejects a type error and a non-bool expression', () => {
    expect(() => compilePolicyExpression('subject.component + 1 == 2')).toThrow(/no such overload/);
    expect(() => compilePolicyExpression('subject.component')).toThrow(/must evaluate to bool, not string/);
    expect(() => compilePolicyExpression('unknown == 1')).toThrow(/unknown variable/i);
  });

  it('uses RE2 for matches and reports invalid patterns at creation', () => {
    expect(compilePolicyExpression('subject.component.matches("^ana")').allows(activation)).toBe(true);
    expect(compilePolicyExpression('subject.component.matches("sis$")').allows(activation)).toBe(true);
    expect(() => compilePolicyExpression('subject.component.matches("(")')).toThrow(/invalid regular expression/);
    expect(() => compilePolicyExpression('1.matches("a")')).toThrow(/matches/);
  });

  it('evaluate reports the engine error in one line', () => {
    expect(compilePolicyExpression('subject.nope == "x"').evaluate(activation)).toEqual({ ok: false, error: 'no such key: nope' });
  });

  test.prop([fc.string({ maxLength: 200 })])('never throws anything but InvalidInputError, and allows never throws', (source) => {
    let compiled;
    try {
      compiled = compilePolicyExpression(source);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidInputError);
      return;
    }
    expect(typeof compiled.allows(activation)).toBe('boolean');
  });

  const fragments = ['subject.component', 'subject.identifier', 'subject.x', 'action', 'resource.type', '"analysis"', '"a"', '[1, 2]', '1', 'now', 'timestamp("2030-01-01T00:00:00Z")'];
  const ops = ['==', '!=', '<', 'in', '&&', '||', '+'];
  test.prop([fc.array(fc.tuple(fc.constantFrom(...fragments), fc.constantFrom(...ops)), { minLength: 1, maxLength: 6 }), fc.constantFrom(...fragments)])(
    'random well-formed-ish expressions compile or are rejected cleanly', (pairs, last) => {
      const source = pairs.map(([f, o]) => `${f} ${o} `).join('') + last;
      try {
        const compiled = compilePolicyExpression(source);
        expect(typeof compiled.allows(activation)).toBe('boolean');
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidInputError);
      }
    });
});
