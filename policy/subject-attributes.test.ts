import { describe, expect, it } from 'vitest';
import { subjectAttributeNames } from './subject-attributes.js';

describe('subjectAttributeNames', () => {
  it('finds every attribute an expression reads from subject, and nothing else', () => {
    expect(subjectAttributeNames('subject.component == "db" && subject["env"] in ["prod"] && has(subject.team) && resource.name == "x"'))
      .toEqual(['component', 'env', 'team']);
    expect(subjectAttributeNames('subject.identifier == "I1" || subject.project == "bank" || subject.authority == "I2"')).toEqual([]);
    expect(subjectAttributeNames('[1, 2].exists(x, subject.level == string(x))')).toEqual(['level']);
    expect(subjectAttributeNames('true')).toEqual([]);
  });

  it('refuses an expression that does not compile', () => {
    expect(() => subjectAttributeNames('subject.component ==')).toThrow();
  });
});
