import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';

/** `symbolon kafka-inlet delete HOST:PORT [--at NODE]`. */
export default class KafkaInletDelete extends BaseCommand {
  static override summary = 'Delete a Kafka inlet (its broker listeners and connections are closed).';
  static override examples = ['<%= config.bin %> <%= command.id %> 127.0.0.1:19092'];
  static override args = { listen: Args.string({ description: 'the inlet\'s listen address', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(KafkaInletDelete);
    const { node: name, result } = await callNode(this.home, flags.at, 'kafka-inlet.delete', { name: args.listen });
    this.log(`Deleted Kafka inlet ${result.deleted} on node ${name}.`);
    return { node: name, deleted: result.deleted };
  }
}
