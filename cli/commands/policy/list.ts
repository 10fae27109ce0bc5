import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { callIfRunning } from '../../../node/client/read-only-node.js';
import { savedPolicies } from '../../../node/home/saved-config.js';
import { NO_NODE_LINE, notRunningLine } from '../../not-running.js';
import { callNode } from '../../../node/client/node-call.js';
import { atMemberFlag } from '../../policy-flags.js';
import type { PolicyView } from '../../../node/api/policy-view.js';

/** `symbolon policy list`: the policies of a node. */
export default class PolicyList extends BaseCommand {
  static override summary = 'List the policies of a node.';
  static override description = 'Shows the node\'s policies: resource policies first, then resource-type policies. A stored expression that no longer compiles is marked invalid (it denies); MODE is enforce or audit (never denies). Never starts a node: for a node that is not running, lists its saved policies. With --at-member IDENTIFIER, lists the policies of that project member\'s node, over the project (project admins; starts the home\'s node when needed).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the home default node)' }), ...atMemberFlag };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyList);
    const home = this.home;
    const member = flags['at-member'];
    if (member !== undefined) {
      const { node, result } = await callNode(home, flags.at, 'policy.list', { atMember: member }, { timeoutMs: 30_000 });
      if (result.policies.length === 0) this.log(`No policies on the node of member ${member}.`);
      else this.log(policyTable(result.policies));
      return { node, member, running: true, policies: result.policies };
    }
    const answer = await callIfRunning(home, flags.at, 'policy.list', {});
    if (answer.node === null) {
      this.log(NO_NODE_LINE);
      return { node: null, running: false, policies: [] };
    }
    const { node } = answer;
    const policies = answer.running ? answer.result.policies : await savedPolicies(home, node);
    if (!answer.running) this.log(notRunningLine(node, policies.length === 0 ? 'it has no saved policies.' : 'its saved policies:'));
    else if (policies.length === 0) this.log(`No policies at node ${node}.`);
    if (policies.length > 0) this.log(policyTable(policies));
    return { node, running: answer.running, policies };
  }
}

function policyTable(policies: readonly PolicyView[]): string {
  return table(['SCOPE', 'EXPRESSION', 'MODE', 'VALID'], policies.map((p) => [p.label, p.expression, p.mode, p.valid ? 'yes' : 'no']));
}
