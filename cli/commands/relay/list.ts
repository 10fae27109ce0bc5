import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callIfRunning } from '../../../node/client/read-only-node.js';
import { RELAYS_SECTION, savedRelays } from '../../../node/home/saved-config.js';
import { NO_NODE_LINE, notRunningLine } from '../../not-running.js';
import { table } from '../../format.js';

/** `symbolon relay list [--at NODE]`. */
export default class RelayList extends BaseCommand {
  static override summary = 'List the relays a node keeps registered.';
  static override description = 'Never starts a node: for a node that is not running, lists the relays saved in its configuration (registered again when it starts).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(RelayList);
    const home = this.home;
    const answer = await callIfRunning(home, flags.at, 'relay.list', {});
    if (answer.node === null) {
      this.log(NO_NODE_LINE);
      return { node: null, running: false, relays: [] };
    }
    if (!answer.running) {
      const relays = savedRelays(answer.config.sections[RELAYS_SECTION]);
      this.log(notRunningLine(answer.node, relays.length === 0 ? 'it has no saved relays.' : 'its saved relays (not registered while it is stopped):'));
      if (relays.length > 0) this.log(table(['NAME', 'PROJECT'], relays.map((r) => [r.name, r.project ?? '(the node\'s project)'])));
      return { node: answer.node, running: false, relays };
    }
    const { node: name, result } = answer;
    if (result.relays.length === 0) this.log(`No relays on node ${name}.`);
    else {
      this.log(table(['NAME', 'PROJECT', 'CONNECTED', 'REGISTRATIONS'], result.relays.map((r) => [
        r.name, r.at, r.status.connected ? 'yes' : 'no', String(r.status.registrations),
      ])));
    }
    return { node: name, running: true, ...result };
  }
}
