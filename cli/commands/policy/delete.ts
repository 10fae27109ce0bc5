import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { atMemberFlag, atMemberParams, policyScopeFlags, scopeParams } from '../../policy-flags.js';

/** `symbolon policy delete`: removes a policy from a node. */
export default class PolicyDelete extends BaseCommand {
  static override summary = 'Delete the policy of a resource or resource type.';
  static override description = 'Removes the policy; the resource then falls back to its resource-type policy, or to the default (a credential from the authority of the node\'s own project).';
  static override examples = ['<%= config.bin %> <%= command.id %> --resource echo', '<%= config.bin %> <%= command.id %> --at bank --resource-type tcp-outlet', '<%= config.bin %> <%= command.id %> --at-member I0123456789abcdef0123456789abcdef --resource-type tcp-outlet'];
  static override flags = { ...policyScopeFlags, ...atMemberFlag };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyDelete);
    const scope = scopeParams(flags);
    const member = flags['at-member'];
    const { node } = await callNode(this.home, flags.at, 'policy.delete', { ...scope, ...atMemberParams(flags) }, { timeoutMs: member !== undefined ? 30_000 : 10_000 });
    this.log(`Policy on ${'resource' in scope ? `resource ${scope.resource}` : `resource-type ${scope.resourceType}`} deleted ${member !== undefined ? `on the node of member ${member} (via node ${node})` : `at node ${node}`}`);
    return { node, ...(member !== undefined ? { member } : {}), deleted: scope };
  }
}
