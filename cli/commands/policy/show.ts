import { BaseCommand } from '../../base-command.js';
import { fields } from '../../format.js';
import { callNode } from '../../../node/client/node-call.js';
import { atMemberFlag, atMemberParams, policyScopeFlags, scopeParams } from '../../policy-flags.js';

/** `symbolon policy show`: one policy of a node. */
export default class PolicyShow extends BaseCommand {
  static override summary = 'Show the policy of a resource or resource type.';
  static override description = 'Prints the expression attached to --resource NAME or --resource-type TYPE on a node, its mode (enforce or audit), when it was created and whether it compiles. With --at-member IDENTIFIER, on that project member\'s node (project admins).';
  static override examples = ['<%= config.bin %> <%= command.id %> --resource echo', '<%= config.bin %> <%= command.id %> --at bank --resource-type relay --json'];
  static override flags = { ...policyScopeFlags, ...atMemberFlag };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyShow);
    const member = flags['at-member'];
    const { node, result } = await callNode(this.home, flags.at, 'policy.show', { ...scopeParams(flags), ...atMemberParams(flags) }, { timeoutMs: member !== undefined ? 30_000 : 10_000 });
    this.log(`Policy on ${result.label} ${member !== undefined ? `on the node of member ${member}` : `at node ${node}`}`);
    this.log(fields([
      ['expression', result.expression], ['mode', result.mode], ['created', result.createdAt],
      ['valid', result.valid ? 'yes' : `no (${result.compileError ?? 'does not compile'})`],
    ]));
    return { node, ...(member !== undefined ? { member } : {}), ...result };
  }
}
