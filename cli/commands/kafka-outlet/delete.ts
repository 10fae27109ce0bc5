import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon kafka-outlet delete [ADDRESS] [--at NODE]`. */
export default class KafkaOutletDelete extends BaseCommand {
  static override summary = 'Delete a Kafka outlet (its sessions are closed).';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> kafka --at bank'];
  static override args = { address: Args.string({ description: 'outlet address (default kafka)', required: false }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(KafkaOutletDelete);
    const { node: name, result } = await callNode(this.home, flags.at, 'kafka-outlet.delete', { address: args.address ?? 'kafka' });
    this.log(`Deleted Kafka outlet ${result.deleted} on node ${name}.`);
    return { node: name, deleted: result.deleted };
  }
}
