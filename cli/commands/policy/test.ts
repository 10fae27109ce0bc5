import { Flags } from '@oclif/core';
import { InvalidInputError, NotFoundError } from '../../../core/errors.js';
import { assertResourceType } from '../../../policy/policy.js';
import { runPolicyCases, type PolicyCaseResult, type PolicyCaseTarget } from '../../../policy/policy-cases.js';
import { FilePolicyStore } from '../../../policy/policy-store-file.js';
import { parseSubjectPairs, testPolicyExpression } from '../../../policy/policy-test.js';
import { readPolicyCases } from '../../../node/home/policy-cases-file.js';
import { projectOfNode } from '../../../node/home/project-registry.js';
import { policyFilePath } from '../../../node/home/saved-config.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { oneLineExpressionError } from '../../policy-flags.js';

/** `symbolon policy test`: evaluates an expression (or a suite of cases) locally and explains the result. */
export default class PolicyTest extends BaseCommand {
  static override summary = 'Evaluate a CEL expression against a subject, or run a suite of cases, and explain the result.';
  static override description = `Compiles the expression with the same limits and type checks as policy create, evaluates it for the given subject attributes, resource and action (no node needed), prints allow or deny and the sub-expression that decided it. Exits 0 either way; an invalid expression exits 2.

With --cases FILE, runs a YAML suite of subjects, resources and expected decisions (see docs/policies.md) against --expression (or the file's own expression), or with --node NAME against that node's saved policies (read only: the node is neither started nor changed; where no policy applies, the resource type's default rule decides). Prints each case, each mismatch with what decided it, and exits 1 on any mismatch (for CI review of policy changes); an invalid file or expression exits 2.`;
  static override examples = [
    `<%= config.bin %> <%= command.id %> --expression 'subject.component == "analysis"' --subject component=analysis`,
    `<%= config.bin %> <%= command.id %> --expression 'subject.env in ["prod"] && action == "handle"' --subject env=dev --action handle --resource-type worker --resource echo`,
    `<%= config.bin %> <%= command.id %> --cases outlet-cases.yaml --expression 'subject.component == "analysis"'`,
    `<%= config.bin %> <%= command.id %> --cases bank-cases.yaml --node bank`,
  ];
  static override flags = {
    expression: Flags.string({ description: 'the CEL expression (with --cases: instead of the file\'s own)' }),
    subject: Flags.string({ description: 'subject attribute key=value (repeatable; identifier=I... sets the identifier)', multiple: true, default: [] }),
    'resource-type': Flags.string({ description: 'resource type', default: 'worker' }),
    resource: Flags.string({ description: 'resource name', default: 'test' }),
    action: Flags.string({ description: 'action', default: 'send' }),
    cases: Flags.string({ description: 'YAML file of cases (subject, resource, action, expect: allow|deny) to run' }),
    node: Flags.string({ description: 'with --cases: run against the saved policies of this node of the home (read only)', dependsOn: ['cases'], exclusive: ['expression'] }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyTest);
    if (flags.cases !== undefined) return this.runCases(flags.cases, flags.expression, flags.node);
    if (flags.expression === undefined) throw new InvalidInputError('cli', 'give --expression (or --cases FILE)');
    let result;
    try {
      assertResourceType(flags['resource-type']);
      result = testPolicyExpression({
        expression: flags.expression, subject: parseSubjectPairs(flags.subject),
        resource: { type: flags['resource-type'], name: flags.resource }, action: flags.action,
      });
    } catch (err) {
      throw oneLineExpressionError(err);
    }
    this.log(result.allowed ? 'allow' : 'deny');
    this.log(fields([['decided by', result.summary], ...result.steps.map((s, i): [string, string] => [`step ${i + 1}`, `\`${s.text}\` -> ${s.outcome}${s.error ? ` (${s.error})` : ''}`])]));
    return result;
  }

  private async runCases(file: string, expression: string | undefined, node: string | undefined): Promise<unknown> {
    const suite = readPolicyCases(file);
    let target: PolicyCaseTarget;
    if (node !== undefined) {
      if (!this.home.hasNode(node)) throw new NotFoundError('cli', `no node '${node}' in this home`);
      const project = projectOfNode(this.home, node);
      target = {
        kind: 'node', node, policies: await FilePolicyStore.open(policyFilePath(this.home, node)),
        ...(project !== undefined ? { project: { name: project.name, authority: project.authorityIdentifier } } : {}),
      };
    } else {
      const source = expression ?? suite.expression;
      if (source === undefined) throw new InvalidInputError('cli', `${file} names no expression: give --expression, --node NAME, or expression: in the file`);
      target = { kind: 'expression', expression: source };
    }
    let results: PolicyCaseResult[];
    try {
      results = runPolicyCases(target, suite.cases);
    } catch (err) {
      throw oneLineExpressionError(err);
    }
    const failed = results.filter((r) => !r.passed);
    for (const r of results) {
      const where = r.line !== undefined ? ` (line ${r.line})` : '';
      const audit = r.auditMode ? ' [audit mode: not enforced]' : '';
      if (r.passed) this.log(`ok    ${r.name}: ${r.actual}${audit}`);
      else this.log(`FAIL  ${r.name}${where}: expected ${r.expected}, got ${r.actual}${audit}\n      decided by: ${r.reason}`);
    }
    this.log(`${results.length} case(s), ${results.length - failed.length} passed, ${failed.length} failed${node !== undefined ? ` (policies of node ${node})` : ''}`);
    if (failed.length > 0) process.exitCode = 1;
    return { target: node !== undefined ? { node } : { expression: (target as { expression: string }).expression }, passed: results.length - failed.length, failed: failed.length, cases: results };
  }
}
