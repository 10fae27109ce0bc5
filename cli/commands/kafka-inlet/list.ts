import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { table } from '../../format.js';

/** `symbolon kafka-inlet list [--at NODE]`. */
export default class KafkaInletList extends BaseCommand {
  static override summary = 'List the Kafka inlets of a node.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at analysis --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(KafkaInletList);
    const { node: name, result } = await callNode(this.home, flags.at, 'kafka-inlet.list', {});
    if (result.inlets.length === 0) this.log(`No Kafka inlets on node ${name}.`);
    else {
      this.log(table(['LISTEN', 'VIA/TO', 'OUTLET', 'ENCRYPT', 'BROKERS', 'CONNECTIONS'], result.inlets.map((i) => [
        i.listen, i.via !== undefined ? `via ${i.via}` : `to ${i.to ?? '-'}`, i.outlet, i.encrypt ? 'yes' : 'no',
        i.status ? i.status.brokers.map((b) => `${b.id}@${b.listen}`).join(' ') || '-' : `error: ${i.error ?? '-'}`, String(i.status?.sessions ?? 0),
      ])));
    }
    return { node: name, ...result };
  }
}
