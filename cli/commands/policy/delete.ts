import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { policyScopeFlags, scopeParams } from '../../policy-flags.js';

/** `symbolon policy delete`: removes a policy from a node. */
export default class PolicyDelete extends BaseCommand {
  static override summary = 'Delete the policy of a resource or resource type.';
  static override description = 'Removes the policy; the resource then falls back to its resource-type policy, or to the default (a credential from the authority of the node\'s own project).';
  static override examples = ['<%= config.bin %> <%= command.id %> --resource echo', '<%= config.bin %> <%= command.id %> --at bank --resource-type tcp-outlet'];
  static override flags = { ...policyScopeFlags };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyDelete);
    const scope = scopeParams(flags);
    const { node } = await callNode(this.home, flags.at, 'policy.delete', scope);
    this.log(`Policy on ${'resource' in scope ? `resource ${scope.resource}` : `resource-type ${scope.resourceType}`} deleted at node ${node}`);
    return { node, deleted: scope };
  }
}
