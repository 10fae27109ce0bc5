import { Args, Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { validateNodeName } from '../../../node/home/home.js';
import { deleteNode } from '../../../node/client/node-lifecycle.js';
import { confirmDestructive, yesFlag } from '../../confirm.js';

/** `symbolon node delete NAME | --all`: stops nodes and removes them. */
export default class NodeDelete extends BaseCommand {
  static override summary = 'Stop a node and delete it.';
  static override description = 'Stops the node\'s process (SIGTERM, then SIGKILL if it does not exit within 5 s) and removes its folder: configuration, log and state. With --all, deletes every node of the home (asks for confirmation on a terminal; --yes is required otherwise).';
  static override examples = ['<%= config.bin %> <%= command.id %> n1', '<%= config.bin %> <%= command.id %> --all --yes'];
  static override args = { name: Args.string({ description: 'node name', required: false }) };
  static override flags = { all: Flags.boolean({ description: 'delete every node of the home', default: false }), yes: yesFlag };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NodeDelete);
    if (flags.all === (args.name !== undefined)) throw new InvalidInputError('cli', 'give either a node NAME or --all');
    const home = this.home;
    const names = flags.all ? home.nodeNames() : [validateNodeName(args.name!)];
    if (flags.all && names.length > 0) await confirmDestructive(flags.yes, `Stop and delete all ${names.length} node(s) of ${home.root} (${names.join(', ')})?`, { json: this.jsonEnabled() });
    const deleted: string[] = [];
    for (const name of names) {
      await deleteNode(home, name);
      deleted.push(name);
      this.log(`Node ${name} deleted`);
    }
    if (flags.all && deleted.length === 0) this.log('No nodes to delete');
    return { deleted };
  }
}
