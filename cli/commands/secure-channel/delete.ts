import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon secure-channel delete ADDRESS [--at NODE]`: closes a secure channel. */
export default class SecureChannelDelete extends BaseCommand {
  static override summary = 'Close a secure channel.';
  static override description = 'Closes the secure channel ADDRESS on --at (default: the default node); the peer is told and both sides drop the keys.';
  static override examples = ['<%= config.bin %> <%= command.id %> sc-0123456789abcdef --at n1'];
  static override args = { address: Args.string({ description: 'channel address (from secure-channel list)', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(SecureChannelDelete);
    const home = this.home;
    const { node: name } = await callNode(home, flags.at, 'secure-channel.delete', { address: args.address });
    this.log(`Closed secure channel ${args.address} on node ${name}.`);
    return { node: name, deleted: args.address };
  }
}
