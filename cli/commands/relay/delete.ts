import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon relay delete NAME [--at NODE]`. */
export default class RelayDelete extends BaseCommand {
  static override summary = 'Stop keeping a relay registered and remove it from the project node.';
  static override examples = ['<%= config.bin %> <%= command.id %> postgres'];
  static override args = { name: Args.string({ description: 'relay name', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RelayDelete);
    const home = this.home;
    const { node: name } = await callNode(home, flags.at, 'relay.delete', { name: args.name }, { timeoutMs: 15_000 });
    this.log(`Deleted relay ${args.name} of node ${name}.`);
    return { node: name, deleted: args.name };
  }
}
