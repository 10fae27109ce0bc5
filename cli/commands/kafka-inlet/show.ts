import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon kafka-inlet show HOST:PORT [--at NODE]`: brokers, counters and the last error. */
export default class KafkaInletShow extends BaseCommand {
  static override summary = 'Show a Kafka inlet: broker listeners, counters, last error.';
  static override examples = ['<%= config.bin %> <%= command.id %> 127.0.0.1:19092'];
  static override args = { listen: Args.string({ description: 'the inlet\'s listen address', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(KafkaInletShow);
    const { node: name, result: i } = await callNode(this.home, flags.at, 'kafka-inlet.show', { name: args.listen });
    const s = i.status;
    this.log(`Kafka inlet ${i.listen} on node ${name}`);
    this.log(fields([
      [i.via !== undefined ? 'via' : 'to', i.via ?? i.to ?? '-'], ['outlet', i.outlet],
      ['records', i.encrypt ? 'values encrypted end to end' : 'passed as they are'],
      ['allow', i.allow ?? '(node policy for kafka-inlet)'],
      ['brokers', s && s.brokers.length > 0 ? s.brokers.map((b) => `${b.id} at ${b.listen}`).join(', ') : '(none named yet)'],
      ['connections', s ? `${s.sessions} open, ${s.connections} total` : '0'],
      ['records encrypted', String(s?.sealedRecords ?? 0)],
      ['refused', s ? `${s.refusedProduce} produce requests, ${s.refusedPartitions} fetched partitions, ${s.malformed} connections closed for bad frames` : '-'],
      ['last error', i.error ?? (s?.lastError === undefined ? '-' : `${s.lastError} (at ${s.lastErrorAt})`)],
      ['data keys', !i.encrypt ? '-' : `replaced every ${i.keyRotationSeconds ?? 3600} s, kept ${i.keyRetentionSeconds ?? 604_800} s; ${i.keys?.length ?? 0} held by this node`],
      ...(i.keys ?? []).map((k): [string, string] => [`  ${k.id}`, `${k.topic}, ${k.ageSeconds} s old${k.current ? ' (current)' : ''}, kept until ${k.expiresAt}`]),
    ]));
    return { node: name, ...i };
  }
}
