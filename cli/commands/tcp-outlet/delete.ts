import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon tcp-outlet delete [ADDRESS] [--at NODE]`. */
export default class TcpOutletDelete extends BaseCommand {
  static override summary = 'Delete a TCP outlet (its open sessions are closed).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> postgres --at bank'];
  static override args = { address: Args.string({ description: 'outlet address (default outlet)', required: false }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(TcpOutletDelete);
    const home = this.home;
    const address = args.address ?? 'outlet';
    const { node: name } = await callNode(home, flags.at, 'tcp-outlet.delete', { address });
    this.log(`Deleted TCP outlet ${address} on node ${name}.`);
    return { node: name, deleted: address };
  }
}
