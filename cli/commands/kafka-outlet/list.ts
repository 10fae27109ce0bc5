import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { table } from '../../format.js';

/** `symbolon kafka-outlet list [--at NODE]`. */
export default class KafkaOutletList extends BaseCommand {
  static override summary = 'List the Kafka outlets of a node.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(KafkaOutletList);
    const { node: name, result } = await callNode(this.home, flags.at, 'kafka-outlet.list', {});
    if (result.outlets.length === 0) this.log(`No Kafka outlets on node ${name}.`);
    else {
      this.log(table(['ADDRESS', 'BOOTSTRAP', 'BROKERS', 'SESSIONS'], result.outlets.map((o) => [
        o.address, o.bootstrap, String(o.status?.brokers.length ?? 0), String(o.status?.sessions ?? 0),
      ])));
    }
    return { node: name, ...result };
  }
}
