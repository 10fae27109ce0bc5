import { Flags } from '@oclif/core';
import { assertResourceType } from '../../../policy/policy.js';
import { parseSubjectPairs, testPolicyExpression } from '../../../policy/policy-test.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { oneLineExpressionError } from '../../policy-flags.js';

/** `symbolon policy test`: evaluates an expression locally and explains the result. */
export default class PolicyTest extends BaseCommand {
  static override summary = 'Evaluate a CEL expression against a subject and explain the result.';
  static override description = 'Compiles the expression with the same limits and type checks as policy create, evaluates it for the given subject attributes, resource and action (no node needed), prints allow or deny and the sub-expression that decided it. Exits 0 either way; an invalid expression exits 2.';
  static override examples = [
    `<%= config.bin %> <%= command.id %> --expression 'subject.component == "analysis"' --subject component=analysis`,
    `<%= config.bin %> <%= command.id %> --expression 'subject.env in ["prod"] && action == "handle"' --subject env=dev --action handle --resource-type worker --resource echo`,
  ];
  static override flags = {
    expression: Flags.string({ description: 'the CEL expression', required: true }),
    subject: Flags.string({ description: 'subject attribute key=value (repeatable; identifier=I... sets the identifier)', multiple: true, default: [] }),
    'resource-type': Flags.string({ description: 'resource type', default: 'worker' }),
    resource: Flags.string({ description: 'resource name', default: 'test' }),
    action: Flags.string({ description: 'action', default: 'send' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyTest);
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
}
