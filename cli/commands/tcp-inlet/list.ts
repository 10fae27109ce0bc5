import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { table } from '../../format.js';

/** `symbolon tcp-inlet list [--at NODE]`. */
export default class TcpInletList extends BaseCommand {
  static override summary = 'List the TCP inlets of a node.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at analysis --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpInletList);
    const home = this.home;
    const { node: name, result } = await callNode(home, flags.at, 'tcp-inlet.list', {});
    if (result.inlets.length === 0) this.log(`No TCP inlets on node ${name}.`);
    else {
      this.log(table(['LISTEN', 'VIA/TO', 'OUTLET', 'CONNECTED', 'SESSIONS'], result.inlets.map((i) => [
        i.listen, i.via !== undefined ? `via ${i.via}` : `to ${i.to ?? '-'}`, i.outlet,
        i.status ? (i.status.connected ? 'yes' : 'no') : `error: ${i.error ?? '-'}`, String(i.status?.sessions ?? 0),
      ])));
    }
    return { node: name, ...result };
  }
}
