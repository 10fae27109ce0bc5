import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../core/errors.js';
import { parseSubjectPairs, testPolicyExpression } from './policy-test.js';

describe('policy test', () => {
  it('allows and explains with an identifier among the subject pairs', () => {
    const result = testPolicyExpression({
      expression: 'subject.identifier == "I1" && subject.component == "analysis"',
      subject: parseSubjectPairs(['identifier=I1', 'component=analysis']),
    });
    expect(result).toMatchObject({ allowed: true, outcome: 'true', action: 'send', resource: { type: 'worker', name: 'test', node: 'local' } });
  });

  it('denies and names the decisive part, using resource type and action', () => {
    const result = testPolicyExpression({
      expression: 'resource.type == "tcp-outlet" && action == "connect" && subject.component == "db"',
      subject: parseSubjectPairs(['component=analysis']),
      resource: { type: 'tcp-outlet' },
      action: 'connect',
    });
    expect(result.allowed).toBe(false);
    expect(result.summary).toBe('`subject.component == "db"` evaluated to false');
  });

  it('parses k=v pairs and rejects malformed ones', () => {
    expect(parseSubjectPairs(['a=b=c', 'x='])).toEqual({ a: 'b=c', x: '' });
    expect(() => parseSubjectPairs(['novalue'])).toThrow(InvalidInputError);
    expect(() => parseSubjectPairs(['=v'])).toThrow(InvalidInputError);
  });

  it('reports an invalid expression with the caret', () => {
    expect(() => testPolicyExpression({ expression: 'subject.x ==', subject: {} })).toThrow(/\^/);
  });
});
