import { Flags } from '@oclif/core';
import { attributeWarnings, printWarnings } from '../../attribute-warnings.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { callNode } from '../../../node/client/node-call.js';
import { atMemberFlag, atMemberParams, oneLineExpressionError, policyScopeFlags, scopeParams } from '../../policy-flags.js';

/** `symbolon policy create`: attaches a CEL policy to a resource or resource type of a node. */
export default class PolicyCreate extends BaseCommand {
  static override summary = 'Create (or replace) a CEL policy on a node.';
  static override description = `Attaches a CEL expression to a named resource (--resource) or to every resource of a type (--resource-type) on a node. The expression sees subject (identifier; authority and project, who vouched; verified credential attributes, another trusted project's only when the expression names subject.project or subject.authority), resource (type, name, node), action and now; it is size- and depth-limited and type-checked before it is stored, so an invalid or hostile expression is refused here. A resource policy wins over a resource-type policy, which wins over the default (a credential from the authority of the node's own project). Resource types: secure-channel-listener (action handshake; on a project node the default admits every authenticated peer, so enrollment works), tcp-inlet and tcp-outlet (connect), relay (create, send; on a project node the default is an admin or the name in the credential's relay attribute for create, a credential from the authority for send), worker (handle), authority (call). Every refusal is listed by 'policy denials'. With --mode audit the policy decides and records what it would have denied (listed by 'policy denials', marked audit) but never denies, so a stricter rule can be rolled out safely. With --at-member IDENTIFIER a project admin creates the policy on that member's node, over the project; the member's node checks the admin's credential itself (resource type policy, default: the project's admins) and records the change with the admin's identity. See docs/policies.md.`;
  static override examples = [
    `<%= config.bin %> <%= command.id %> --resource echo --expression 'subject.component == "analysis"'`,
    `<%= config.bin %> <%= command.id %> --at bank --resource-type secure-channel-listener --expression 'subject.env in ["prod", "staging"]'`,
    `<%= config.bin %> <%= command.id %> --at bank --resource postgres --expression 'action == "send" || subject.component == "db"'`,
    `<%= config.bin %> <%= command.id %> --resource-type tcp-outlet --expression 'subject.component == "analysis"' --mode audit`,
    `<%= config.bin %> <%= command.id %> --at-member I0123456789abcdef0123456789abcdef --resource-type tcp-outlet --expression 'subject.component == "analysis"'`,
  ];
  static override flags = {
    ...policyScopeFlags,
    ...atMemberFlag,
    expression: Flags.string({ description: 'the CEL expression', required: true }),
    mode: Flags.option({ description: 'enforce (default), or audit: decide and record what would be denied, never deny', options: ['enforce', 'audit'] as const, default: 'enforce' as const })(),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyCreate);
    const member = flags['at-member'];
    const { node, result } = await callNode(this.home, flags.at, 'policy.create', { ...scopeParams(flags), ...atMemberParams(flags), expression: flags.expression, mode: flags.mode }, { timeoutMs: member !== undefined ? 30_000 : 10_000 })
      .catch((err: unknown) => { throw oneLineExpressionError(err); });
    this.log(`Policy on ${result.label} created ${member !== undefined ? `on the node of member ${member} (via node ${node})` : `at node ${node}`}`);
    this.log(fields([['expression', result.expression], ['mode', result.mode]]));
    if (member !== undefined) return { node, member, ...result };
    const warnings = await attributeWarnings(this.home, node, result.expression);
    if (!this.jsonEnabled()) printWarnings(warnings);
    return { node, ...result, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
