import { Flags } from '@oclif/core';
import { attributeWarnings, printWarnings } from '../../attribute-warnings.js';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon kafka-outlet create --bootstrap-server HOST:PORT [--at NODE] [--from ADDRESS] [--allow CEL]`. */
export default class KafkaOutletCreate extends BaseCommand {
  static override summary = 'Create a Kafka outlet: Kafka inlets reach the brokers of a cluster through it.';
  static override description = 'Starts an outlet at worker address --from (default kafka) on --at (default: the default node) for the Kafka cluster whose bootstrap server is --bootstrap-server. The outlet reads the cluster\'s brokers from the bootstrap server (at start and every 30 s) and reaches each at ADDRESS_broker_ID; inlets name a broker by id only, never a host, so the outlet connects to that cluster and nowhere else. Who may use it is the node policy of resource type kafka-outlet; --allow stores a CEL policy for this outlet. Who may produce to which topic is decided here, per Produce request and topic, by the node policy of resource type kafka-produce (resource.topic); --produce-allow stores it; refused topics get TOPIC_AUTHORIZATION_FAILED and never reach the broker. Kept across node restarts. See docs/kafka.md.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --bootstrap-server 127.0.0.1:9092 --allow \'subject.component == "analysis"\'',
  ];
  static override flags = {
    'bootstrap-server': Flags.string({ description: 'Kafka bootstrap server HOST:PORT', required: true }),
    at: Flags.string({ description: 'node (default: the default node)' }),
    from: Flags.string({ description: 'outlet worker address', default: 'kafka' }),
    allow: Flags.string({ description: 'CEL policy: who may use the outlet' }),
    'produce-allow': Flags.string({ description: 'CEL policy (resource.topic): who may produce to which topic; stored as the node\'s kafka-produce policy' }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(KafkaOutletCreate);
    const home = this.home;
    const { node: name, result: outlet } = await callNode(home, flags.at, 'kafka-outlet.create', {
      bootstrap: flags['bootstrap-server'], address: flags.from, ...(flags.allow !== undefined ? { allow: flags.allow } : {}),
      ...(flags['produce-allow'] !== undefined ? { produceAllow: flags['produce-allow'] } : {}),
    });
    this.log(`Created Kafka outlet ${outlet.address} -> ${outlet.bootstrap} on node ${name}.`);
    this.log(fields([
      ['allow', outlet.allow ?? '(node policy for kafka-outlet)'],
      ['produce allow', outlet.produceAllow ?? '(node policy for kafka-produce)'],
      ['brokers', outlet.status && outlet.status.brokers.length > 0 ? outlet.status.brokers.map((b) => `${b.id} at ${b.target}`).join(', ') : '(none read yet)'],
      ['last error', outlet.status?.lastError ?? '-'],
    ]));
    const warnings = [
      ...(outlet.allow !== undefined ? await attributeWarnings(home, name, outlet.allow) : []),
      ...(outlet.produceAllow !== undefined ? await attributeWarnings(home, name, outlet.produceAllow) : []),
    ];
    if (!this.jsonEnabled()) printWarnings(warnings);
    return { node: name, ...outlet, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
