import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { table } from '../../format.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon policy denials`: recent access denials on a node, with their reasons. */
export default class PolicyDenialsCommand extends BaseCommand {
  static override summary = 'Show recent access denials on a node.';
  static override description = 'Lists the most recent denials (newest first) with the resource, action, subject identifier and the reason: the policy and the sub-expression that failed, or the default rule. Peers never see these reasons. Denials are read from the node\'s decision log, so they survive a restart; repeats within a minute are one line with their count. Counts are since the node started. The whole log: symbolon node audit export.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --limit 5 --json'];
  static override flags = {
    at: Flags.string({ description: 'node (default: the home default node)' }),
    limit: Flags.integer({ description: 'how many to show (1-1000)', default: 20, min: 1, max: 1000 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyDenialsCommand);
    const { node, result } = await callNode(this.home, flags.at, 'policy.denials', { limit: flags.limit });
    if (result.denials.length === 0) {
      this.log(`No denials at node ${node}.`);
    } else {
      this.log(table(['TIME', 'RESOURCE', 'ACTION', 'SUBJECT', 'REASON'], result.denials.map((d) => [
        d.at, `${d.resource.type}/${d.resource.name}`, d.action, d.subject ?? '(unauthenticated)', d.reason,
      ])));
      this.log(`${result.counts.total} denial(s) since the node started`);
    }
    return { node, ...result };
  }
}
