import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { table } from '../../format.js';

/** `symbolon tcp-outlet list [--at NODE]`. */
export default class TcpOutletList extends BaseCommand {
  static override summary = 'List the TCP outlets of a node.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpOutletList);
    const home = this.home;
    const { node: name, result } = await callNode(home, flags.at, 'tcp-outlet.list', {});
    if (result.outlets.length === 0) this.log(`No TCP outlets on node ${name}.`);
    else {
      this.log(table(['ADDRESS', 'TARGET', 'SESSIONS', 'ALLOW'], result.outlets.map((o) => [
        o.address, o.target, String(o.status.sessions), o.allow ?? '-',
      ])));
    }
    return { node: name, ...result };
  }
}
