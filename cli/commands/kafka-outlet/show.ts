import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon kafka-outlet show [ADDRESS] [--at NODE]`. */
export default class KafkaOutletShow extends BaseCommand {
  static override summary = 'Show a Kafka outlet: its brokers, sessions and last error.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> kafka --at bank'];
  static override args = { address: Args.string({ description: 'outlet address (default kafka)', required: false }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(KafkaOutletShow);
    const { node: name, result: o } = await callNode(this.home, flags.at, 'kafka-outlet.show', { address: args.address ?? 'kafka' });
    this.log(`Kafka outlet ${o.address} on node ${name}`);
    this.log(fields([
      ['bootstrap server', o.bootstrap], ['allow', o.allow ?? '(node policy for kafka-outlet)'], ['running', o.status?.running ? 'yes' : 'no'],
      ['brokers', o.status && o.status.brokers.length > 0 ? o.status.brokers.map((b) => `${b.id} at ${b.target} (${b.sessions} sessions)`).join(', ') : '(none)'],
      ['broker list read', o.status?.refreshedAt ?? '-'],
      ['sessions', String(o.status?.sessions ?? 0)],
      ['produce allow', o.produceAllow ?? '(node policy for kafka-produce)'],
      ['produce refused', o.status?.produce ? `${o.status.produce.refusedPartitions} partitions (${o.status.produce.refusedRequests} whole requests), ${o.status.produce.malformed} connections closed as malformed` : '-'],
      ['last error', o.status?.lastError === undefined ? '-' : `${o.status.lastError} (at ${o.status.lastErrorAt})`],
      ['created', o.createdAt],
    ]));
    return { node: name, ...o };
  }
}
