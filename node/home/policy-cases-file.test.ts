import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyCases } from './policy-cases-file.js';
import { runPolicyCases } from '../../policy/policy-cases.js';
import { FilePolicyStore } from '../../policy/policy-store-file.js';

const SUITE = `
resource: { type: tcp-outlet, name: outlet }
cases:
  - name: analysis connects
    subject: { component: analysis, project: bank }
    expect: allow
  - name: web does not
    subject: { component: web, project: bank }
    expect: deny
  - name: admins manage policies
    subject: { role: admin, project: bank }
    resource: { type: policy }
    expect: allow
  - name: members do not
    subject: { role: member, project: bank }
    resource: { type: policy }
    expect: deny
`;

describe('policy test cases', () => {
  it('runs against an expression: each case with its verdict, a mismatch with what decided it', () => {
    const suite = parsePolicyCases(SUITE, 'cases.yaml');
    expect(suite.cases.map((c) => [c.resource.type, c.action, c.line])).toEqual([
      ['tcp-outlet', 'connect', 4], ['tcp-outlet', 'connect', 7], ['policy', 'create', 10], ['policy', 'create', 14],
    ]);
    const results = runPolicyCases({ kind: 'expression', expression: 'subject.component == "analysis" || subject.role == "admin"' }, suite.cases);
    expect(results.map((r) => r.passed)).toEqual([true, true, true, true]);
    const strict = runPolicyCases({ kind: 'expression', expression: 'subject.component == "nobody"' }, suite.cases.slice(0, 1));
    expect(strict[0]).toMatchObject({ passed: false, expected: 'allow', actual: 'deny', line: 4 });
    expect(strict[0]!.reason).toContain('subject.component == "nobody"');
  });

  it('runs against a node\'s policies: name, type, then the default rule; audit mode judged by its verdict', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sym-cases-'));
    try {
      const store = await FilePolicyStore.open(join(dir, 'policies.json'));
      await store.create({ kind: 'resource-type', type: 'tcp-outlet' }, 'subject.component == "analysis"', { mode: 'audit' });
      const target = { kind: 'node' as const, node: 'bank', policies: store, project: { name: 'bank', authority: 'Iauth' } };
      const results = runPolicyCases(target, parsePolicyCases(SUITE, 'cases.yaml').cases);
      expect(results.map((r) => [r.actual, r.passed])).toEqual([['allow', true], ['deny', true], ['allow', true], ['deny', true]]);
      expect(results[1]).toMatchObject({ auditMode: true });
      expect(results[3]!.reason).toContain('not an admin');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names the key and line of a bad case', () => {
    expect(() => parsePolicyCases('cases:\n  - subject: { a: b }\n    expect: maybe\n', 'c.yaml')).toThrow('c.yaml: cases[0].expect: must be allow or deny (line 2)');
    expect(() => parsePolicyCases('cases:\n  - subject: { a: b }\n    expect: allow\n    resource: { type: nope }\n', 'c.yaml')).toThrow(/cases\[0\]\.resource\.type: unknown resource type 'nope'.*\(line 2\)/);
    expect(() => parsePolicyCases('cases: []\n', 'c.yaml')).toThrow('c.yaml: cases: must be a non-empty list');
    expect(() => parsePolicyCases('cases:\n  - subject: { a: b }\n    expect: allow\n    extra: 1\n', 'c.yaml')).toThrow(/cases\[0\]\.extra: unknown key/);
  });
});
