import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callIfRunning } from '../../../node/client/read-only-node.js';
import { NO_NODE_LINE, notRunningLine } from '../../not-running.js';
import { table } from '../../format.js';

/** `symbolon secure-channel list [--at NODE]`: the open secure channels of a node. */
export default class SecureChannelList extends BaseCommand {
  static override summary = 'List the open secure channels of a node.';
  static override description = 'Lists the secure channels of --at (default: the default node), both those it opened and those it accepted, with the peer identifier and its verified attributes. Never starts a node: a node that is not running has no channels.';
  static override examples = ['<%= config.bin %> <%= command.id %> --at n1', '<%= config.bin %> <%= command.id %> --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(SecureChannelList);
    const home = this.home;
    const answer = await callIfRunning(home, flags.at, 'secure-channel.list', {});
    if (answer.node === null) {
      this.log(NO_NODE_LINE);
      return { node: null, running: false, channels: [] };
    }
    if (!answer.running) {
      this.log(notRunningLine(answer.node, 'it has no secure channels.'));
      return { node: answer.node, running: false, channels: [] };
    }
    const { node: name, result } = answer;
    if (result.channels.length === 0) this.log(`No secure channels on node ${name}.`);
    else {
      this.log(table(['ADDRESS', 'ROLE', 'PEER', 'ATTRIBUTES', 'PURPOSE', 'CREATED'], result.channels.map((c) => [
        c.address, c.role, c.peer, Object.entries(c.attributes).map(([k, v]) => `${k}=${v}`).join(',') || '-', c.purpose ?? '-', c.createdAt,
      ])));
    }
    return { node: name, running: true, ...result };
  }
}
