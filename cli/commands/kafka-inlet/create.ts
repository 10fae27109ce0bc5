import { Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { attributeWarnings, printWarnings } from '../../attribute-warnings.js';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon kafka-inlet create --from HOST:PORT (--via RELAY | --to ROUTE) [--at NODE] [--allow CEL] [--outlet ADDRESS] [--no-encrypt]`. */
export default class KafkaInletCreate extends BaseCommand {
  static override summary = 'Create a Kafka inlet: a local bootstrap address for unmodified Kafka clients, end-to-end encrypted records.';
  static override description = 'Listens on --from on --at (default: the default node); Kafka clients use it as their only bootstrap server. Every broker the cluster names appears at a local port of the same host (created on demand), each reached through a portal to the Kafka outlet (--outlet, default kafka) on the far node: --via RELAY through the project\'s relay, or --to ROUTE to that node\'s listener (/service/api). Record values produced through the inlet are encrypted with this node\'s data keys (a symbolon-key header names the key); values fetched through it are decrypted, with keys from this node or, after a kafka-consume policy decision there, from the outlet\'s node; --encrypted-field NAME (repeatable) encrypts only those top-level fields of JSON object values, so the broker side can still read the others; --no-encrypt passes records as they are. --allow stores a CEL policy on the outlet side\'s identity. Kept across node restarts. See docs/kafka.md.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from 127.0.0.1:19092 --via kafka --allow \'subject.component == "kafka"\'',
    '<%= config.bin %> <%= command.id %> --at producer --from 127.0.0.1:29092 --to /node/bank/service/api',
  ];
  static override flags = {
    from: Flags.string({ description: 'HOST:PORT clients bootstrap from', required: true }),
    via: Flags.string({ description: 'relay name on the project node', exclusive: ['to'] }),
    to: Flags.string({ description: 'route to the outlet node\'s secure channel listener (/service/api)', exclusive: ['via'] }),
    at: Flags.string({ description: 'node (default: the default node)' }),
    allow: Flags.string({ description: 'CEL policy on the outlet side\'s identity' }),
    outlet: Flags.string({ description: 'Kafka outlet address on the far node', default: 'kafka' }),
    'encrypted-field': Flags.string({ description: 'encrypt only this top-level field of JSON object values (repeatable; other values are encrypted whole)', multiple: true }),
    encrypt: Flags.boolean({ description: 'encrypt produced record values and decrypt fetched ones', default: true, allowNo: true }),
    'key-rotation': Flags.string({ description: 'replace a topic\'s data key once it is this old when this inlet seals with it, e.g. 30m, 1h, 1d (default 1h)' }),
    'key-retention': Flags.string({ description: 'keep the data keys this inlet makes this long, so older records stay readable, e.g. 7d (default 7d, Kafka\'s default retention)' }),
    'max-frame-bytes': Flags.integer({ description: 'largest Kafka request or response the inlet reads (default 64 MiB)', min: 1024 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(KafkaInletCreate);
    const home = this.home;
    if (flags.via === undefined && flags.to === undefined) throw new InvalidInputError('cli', 'give exactly one of --via RELAY or --to ROUTE');
    const { node: name, result: inlet } = await callNode(home, flags.at, 'kafka-inlet.create', {
      from: flags.from, outlet: flags.outlet, encrypt: flags.encrypt,
      ...(flags['encrypted-field'] !== undefined ? { encryptedFields: flags['encrypted-field'] } : {}),
      ...(flags.via !== undefined ? { via: flags.via } : {}), ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(flags.allow !== undefined ? { allow: flags.allow } : {}),
      ...(flags['max-frame-bytes'] !== undefined ? { maxFrameBytes: flags['max-frame-bytes'] } : {}),
      ...(flags['key-rotation'] !== undefined ? { keyRotationSeconds: keyPeriodSeconds('--key-rotation', flags['key-rotation']) } : {}),
      ...(flags['key-retention'] !== undefined ? { keyRetentionSeconds: keyPeriodSeconds('--key-retention', flags['key-retention']) } : {}),
    });
    this.log(`Created Kafka inlet ${inlet.listen} on node ${name}.`);
    this.log(fields([
      [inlet.via !== undefined ? 'via' : 'to', inlet.via ?? inlet.to ?? '-'], ['outlet', inlet.outlet],
      ['records', !inlet.encrypt ? 'passed as they are (--no-encrypt)' : inlet.encryptedFields ? `JSON fields ${inlet.encryptedFields.join(', ')} encrypted end to end (other values whole)` : 'values encrypted end to end'],
      ['allow', inlet.allow ?? '(node policy for kafka-inlet)'],
      ['data keys', inlet.encrypt ? `replaced every ${inlet.keyRotationSeconds ?? 3600} s, kept ${inlet.keyRetentionSeconds ?? 604_800} s` : '-'],
    ]));
    const warnings = inlet.allow !== undefined ? await attributeWarnings(home, name, inlet.allow) : [];
    if (!this.jsonEnabled()) printWarnings(warnings);
    return { node: name, ...inlet, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}

const PERIOD_UNITS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Parses a key period (`90s`, `30m`, `1h`, `7d`, or whole seconds) into seconds, at most 365 days. */
function keyPeriodSeconds(flag: string, text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  const seconds = m ? Number(m[1]) * PERIOD_UNITS[m[2] ?? 's']! : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 365 * 86_400) {
    throw new InvalidInputError('cli', `${flag} '${text}': a duration of 1 s to 365 d, e.g. 90s, 30m, 1h, 7d`);
  }
  return seconds;
}
