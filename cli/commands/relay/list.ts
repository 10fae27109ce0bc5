import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { table } from '../../format.js';

/** `symbolon relay list [--at NODE]`. */
export default class RelayList extends BaseCommand {
  static override summary = 'List the relays a node keeps registered.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RelayList);
    const home = this.home;
    const { node: name, result } = await callNode(home, flags.at, 'relay.list', {});
    if (result.relays.length === 0) this.log(`No relays on node ${name}.`);
    else {
      this.log(table(['NAME', 'PROJECT', 'CONNECTED', 'REGISTRATIONS'], result.relays.map((r) => [
        r.name, r.at, r.status.connected ? 'yes' : 'no', String(r.status.registrations),
      ])));
    }
    return { node: name, ...result };
  }
}
