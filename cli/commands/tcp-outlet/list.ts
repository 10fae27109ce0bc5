import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callIfRunning } from '../../../node/client/read-only-node.js';
import { savedOutlets, TCP_OUTLETS_SECTION } from '../../../node/home/saved-config.js';
import { NO_NODE_LINE, notRunningLine } from '../../not-running.js';
import { table } from '../../format.js';

/** `symbolon tcp-outlet list [--at NODE]`. */
export default class TcpOutletList extends BaseCommand {
  static override summary = 'List the TCP outlets of a node.';
  static override description = 'Never starts a node: for a node that is not running, lists the outlets saved in its configuration (restored when it starts).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpOutletList);
    const home = this.home;
    const answer = await callIfRunning(home, flags.at, 'tcp-outlet.list', {});
    if (answer.node === null) {
      this.log(NO_NODE_LINE);
      return { node: null, running: false, outlets: [] };
    }
    if (!answer.running) {
      const outlets = savedOutlets(answer.config.sections[TCP_OUTLETS_SECTION]);
      this.log(notRunningLine(answer.node, outlets.length === 0 ? 'it has no saved TCP outlets.' : 'its saved TCP outlets:'));
      if (outlets.length > 0) this.log(table(['ADDRESS', 'TARGET', 'ALLOW'], outlets.map((o) => [o.address, o.target, o.allow ?? '-'])));
      return { node: answer.node, running: false, outlets };
    }
    const { node: name, result } = answer;
    if (result.outlets.length === 0) this.log(`No TCP outlets on node ${name}.`);
    else {
      this.log(table(['ADDRESS', 'TARGET', 'SESSIONS', 'ALLOW'], result.outlets.map((o) => [
        o.address, o.target, String(o.status.sessions), o.allow ?? '-',
      ])));
    }
    return { node: name, running: true, ...result };
  }
}
