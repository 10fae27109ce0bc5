import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { Denial } from '../../../policy/denial-log.js';
import { table } from '../../format.js';
import { callIfRunning } from '../../../node/client/read-only-node.js';
import { loggedDenials } from '../../../node/home/logged-denials.js';
import { NO_NODE_LINE, notRunningLine } from '../../not-running.js';

/** `symbolon policy denials`: recent access denials on a node, with their reasons. */
export default class PolicyDenialsCommand extends BaseCommand {
  static override summary = 'Show recent access denials on a node.';
  static override description = 'Lists the most recent denials (newest first) with the resource, action, subject identifier and the reason: the policy and the sub-expression that failed, or the default rule. Peers never see these reasons. Denials are read from the node\'s decision log, so they survive a restart; repeats within a minute are one line with their count. Counts are since the node started. The whole log: symbolon node audit export. Never starts a node: for a node that is not running, lists the denials its decision log recorded.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --limit 5 --json'];
  static override flags = {
    at: Flags.string({ description: 'node (default: the home default node)' }),
    limit: Flags.integer({ description: 'how many to show (1-1000)', default: 20, min: 1, max: 1000 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(PolicyDenialsCommand);
    const home = this.home;
    const answer = await callIfRunning(home, flags.at, 'policy.denials', { limit: flags.limit });
    if (answer.node === null) {
      this.log(NO_NODE_LINE);
      return { node: null, running: false, denials: [] };
    }
    if (!answer.running) {
      const denials = loggedDenials(home, answer.node, flags.limit);
      this.log(notRunningLine(answer.node, denials.length === 0 ? 'its decision log records no denials.' : 'denials recorded in its decision log, newest first:'));
      if (denials.length > 0) this.log(denialTable(denials));
      return { node: answer.node, running: false, source: 'decision-log', denials };
    }
    const { node, result } = answer;
    if (result.denials.length === 0) {
      this.log(`No denials at node ${node}.`);
    } else {
      this.log(denialTable(result.denials));
      this.log(`${result.counts.total} denial(s) since the node started`);
    }
    return { node, running: true, ...result };
  }
}

function denialTable(denials: readonly Denial[]): string {
  return table(['TIME', 'RESOURCE', 'ACTION', 'SUBJECT', 'REASON'], denials.map((d) => [
    d.at, `${d.resource.type}/${d.resource.name}`, d.action, d.subject ?? '(unauthenticated)', d.reason,
  ]));
}
