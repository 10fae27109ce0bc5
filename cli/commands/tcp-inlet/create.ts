import { Flags } from '@oclif/core';
import { InvalidInputError } from '../../../core/errors.js';
import { attributeWarnings, printWarnings } from '../../attribute-warnings.js';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon tcp-inlet create --from HOST:PORT (--via RELAY | --to ROUTE) [--at NODE] [--allow CEL] [--outlet ADDRESS]`. */
export default class TcpInletCreate extends BaseCommand {
  static override summary = 'Create a TCP inlet: a local port whose connections reach a TCP outlet through a portal.';
  static override description = 'Listens on --from on --at (default: the default node). With --via RELAY, each connection goes through an end-to-end secure channel to the outlet\'s node, through the relay RELAY on this node\'s project, inside this node\'s channel to the project; the node must belong to a project, and create warns (exit 0) when the relay cannot be reached now. With --to ROUTE ending at a secure channel listener (/service/api), the inlet opens its own channel there; any other route is used as given and must end at the outlet. Channels are re-opened by themselves after failures. --allow stores a CEL policy on the outlet side\'s identity (e.g. \'subject.component == "db"\'). Kept across node restarts.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --from 127.0.0.1:15432 --via postgres --allow \'subject.component == "db"\'',
    '<%= config.bin %> <%= command.id %> --at n1 --from 127.0.0.1:7000 --to /node/n2/service/api',
  ];
  static override flags = {
    from: Flags.string({ description: 'HOST:PORT to listen on', required: true }),
    via: Flags.string({ description: 'relay name on the project node', exclusive: ['to'] }),
    to: Flags.string({ description: 'route to the outlet node\'s listener (/service/api) or to the outlet itself', exclusive: ['via'] }),
    at: Flags.string({ description: 'node (default: the default node)' }),
    allow: Flags.string({ description: 'CEL policy on the outlet side\'s identity' }),
    outlet: Flags.string({ description: 'outlet address on the far node', default: 'outlet' }),
    direct: Flags.boolean({ description: 'with --via: move the end-to-end channel onto a direct UDP path through both NATs when one can be made (the project node needs a UDP listener); traffic stays on the relay otherwise', default: false }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpInletCreate);
    const home = this.home;
    if (flags.via === undefined && flags.to === undefined) throw new InvalidInputError('cli', 'give exactly one of --via RELAY or --to ROUTE');
    const { node: name, result: inlet } = await callNode(home, flags.at, 'tcp-inlet.create', {
      from: flags.from, outlet: flags.outlet,
      ...(flags.via !== undefined ? { via: flags.via } : {}), ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(flags.allow !== undefined ? { allow: flags.allow } : {}),
      ...(flags.direct ? { direct: true } : {}),
    });
    this.log(`Created TCP inlet ${inlet.listen} on node ${name}.`);
    this.log(fields([
      [inlet.via !== undefined ? 'via' : 'to', inlet.via ?? inlet.to ?? '-'], ['outlet', inlet.outlet],
      ['allow', inlet.allow ?? '(node policy for tcp-inlet)'],
      ...(inlet.direct === true ? [['direct', 'yes: a direct UDP path replaces the relay when one can be made'] as [string, string]] : []),
    ]));
    const warnings = [...(inlet.warnings ?? []), ...(inlet.allow !== undefined ? await attributeWarnings(home, name, inlet.allow) : [])];
    if (!this.jsonEnabled()) printWarnings(warnings);
    return { node: name, ...inlet, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
