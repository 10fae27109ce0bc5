import { Flags } from '@oclif/core';
import { attributeWarnings, printWarnings } from '../../attribute-warnings.js';
import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { callNode } from '../../../node/client/node-call.js';
import { oneLineExpressionError, policyScopeFlags, scopeParams } from '../../policy-flags.js';

/** `symbolon policy create`: attaches a CEL policy to a resource or resource type of a node. */
export default class PolicyCreate extends BaseCommand {
  static override summary = 'Create (or replace) a CEL policy on a node.';
  static override description = `Attaches a CEL expression to a named resource (--resource) or to every resource of a type (--resource-type) on a node. The expression sees subject (identifier; authority and project, who vouched; verified credential attributes, another trusted project's only when the expression names subject.project or subject.authority), resource (type, name, node), action and now; it is size- and depth-limited and type-checked before it is stored, so an invalid or hostile expression is refused here. A resource policy wins over a resource-type policy, which wins over the default (a credential from the authority of the node's own project). Resource types: secure-channel-listener (action handshake; on a project node the default admits every authenticated peer, so enrollment works), tcp-inlet and tcp-outlet (connect), relay (create, send; on a project node the default is an admin or the name in the credential's relay attribute for create, a credential from the authority for send), worker (handle), authority (call). Every refusal is listed by 'policy denials'. See docs/policies.md.`;
  static override examples = [
    `<%= config.bin %> <%= command.id %> --resource echo --expression 'subject.component == "analysis"'`,
    `<%= config.bin %> <%= command.id %> --at bank --resource-type secure-channel-listener --expression 'subject.env in ["prod", "staging"]'`,
    `<%= config.bin %> <%= command.id %> --at bank --resource postgres --expression 'action == "send" || subject.component == "db"'`,
  ];
  static override flags = {
    ...policyScopeFlags,
    expression: Flags.string({ description: 'the CEL expression', required: true }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyCreate);
    const { node, result } = await callNode(this.home, flags.at, 'policy.create', { ...scopeParams(flags), expression: flags.expression })
      .catch((err: unknown) => { throw oneLineExpressionError(err); });
    this.log(`Policy on ${result.label} created at node ${node}`);
    this.log(fields([['expression', result.expression]]));
    const warnings = await attributeWarnings(this.home, node, result.expression);
    if (!this.jsonEnabled()) printWarnings(warnings);
    return { node, ...result, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
