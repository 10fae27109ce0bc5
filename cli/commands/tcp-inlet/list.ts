import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callIfRunning } from '../../../node/client/read-only-node.js';
import { savedInlets, TCP_INLETS_SECTION } from '../../../node/home/saved-config.js';
import { NO_NODE_LINE, notRunningLine } from '../../not-running.js';
import { table } from '../../format.js';

/** `symbolon tcp-inlet list [--at NODE]`. */
export default class TcpInletList extends BaseCommand {
  static override summary = 'List the TCP inlets of a node.';
  static override description = 'Never starts a node: for a node that is not running, lists the inlets saved in its configuration (restored when it starts).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at analysis --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpInletList);
    const home = this.home;
    const answer = await callIfRunning(home, flags.at, 'tcp-inlet.list', {});
    if (answer.node === null) {
      this.log(NO_NODE_LINE);
      return { node: null, running: false, inlets: [] };
    }
    if (!answer.running) {
      const inlets = savedInlets(answer.config.sections[TCP_INLETS_SECTION]);
      this.log(notRunningLine(answer.node, inlets.length === 0 ? 'it has no saved TCP inlets.' : 'its saved TCP inlets:'));
      if (inlets.length > 0) this.log(table(['LISTEN', 'VIA/TO', 'OUTLET'], inlets.map((i) => [i.listen, i.via !== undefined ? `via ${i.via}` : `to ${i.to ?? '-'}`, i.outlet])));
      return { node: answer.node, running: false, inlets };
    }
    const { node: name, result } = answer;
    if (result.inlets.length === 0) this.log(`No TCP inlets on node ${name}.`);
    else {
      this.log(table(['LISTEN', 'VIA/TO', 'OUTLET', 'CONNECTED', 'SESSIONS'], result.inlets.map((i) => [
        i.listen, i.via !== undefined ? `via ${i.via}` : `to ${i.to ?? '-'}`, i.outlet,
        i.status ? (i.status.connected ? 'yes' : 'no') : `error: ${i.error ?? '-'}`, String(i.status?.sessions ?? 0),
      ])));
    }
    return { node: name, running: true, ...result };
  }
}
