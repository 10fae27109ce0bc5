import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon relay create NAME [--at NODE] [--to PROJECT]`. */
export default class RelayCreate extends BaseCommand {
  static override summary = 'Register a relay at the project node, over this node\'s own secure channel.';
  static override description = 'Registers forward_to_NAME at the project node of --to (default: the node\'s project), through --at\'s (default: the default node) secure channel to it; messages sent there come back down that channel. The node keeps it registered and re-registers after failures by itself. Kept across node restarts.';
  static override examples = ['<%= config.bin %> <%= command.id %> postgres', '<%= config.bin %> <%= command.id %> postgres --at bank --to bank'];
  static override args = { name: Args.string({ description: 'relay name', required: true }) };
  static override flags = {
    at: Flags.string({ description: 'node (default: the default node)' }),
    to: Flags.string({ description: 'project (default: the node\'s project)' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RelayCreate);
    const home = this.home;
    const { node: name, result: relay } = await callNode(home, flags.at, 'relay.create', {
      name: args.name, ...(flags.to !== undefined ? { project: flags.to } : {}),
    }, { timeoutMs: 20_000 });
    this.log(`Created relay ${relay.name} at project ${relay.at} for node ${name}.`);
    this.log(fields([
      ['address', relay.status.address], ['connected', relay.status.connected ? 'yes' : 'no'],
      ...(relay.status.lastError !== undefined && !relay.status.connected ? [['last error', relay.status.lastError] as const] : []),
    ]));
    return { node: name, ...relay };
  }
}
