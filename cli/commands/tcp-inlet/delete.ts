import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon tcp-inlet delete HOST:PORT [--at NODE]`. */
export default class TcpInletDelete extends BaseCommand {
  static override summary = 'Delete a TCP inlet (its open connections are closed).';
  static override examples = ['<%= config.bin %> <%= command.id %> 127.0.0.1:15432'];
  static override args = { listen: Args.string({ description: 'the inlet\'s listen address', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(TcpInletDelete);
    const home = this.home;
    const { node: name, result } = await callNode(home, flags.at, 'tcp-inlet.delete', { name: args.listen });
    this.log(`Deleted TCP inlet ${result.deleted} on node ${name}.`);
    return { node: name, deleted: result.deleted };
  }
}
