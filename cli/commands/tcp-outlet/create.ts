import { Flags } from '@oclif/core';
import { attributeWarnings, printWarnings } from '../../attribute-warnings.js';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields } from '../../format.js';

/** `symbolon tcp-outlet create --to HOST:PORT [--at NODE] [--from ADDRESS] [--allow CEL]`. */
export default class TcpOutletCreate extends BaseCommand {
  static override summary = 'Create a TCP outlet: portal sessions arriving at it connect to a TCP server.';
  static override description = 'Starts an outlet at worker address --from (default outlet) on --at (default: the default node). Each portal session connects to --to. Who may open sessions is the node policy of resource type tcp-outlet; --allow stores a CEL policy for this outlet (e.g. \'subject.component == "analysis"\'). Kept across node restarts.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> --to 127.0.0.1:5432 --allow \'subject.component == "analysis"\'',
    '<%= config.bin %> <%= command.id %> --at bank --from postgres --to 10.0.0.7:5432',
  ];
  static override flags = {
    to: Flags.string({ description: 'TCP server HOST:PORT', required: true }),
    at: Flags.string({ description: 'node (default: the default node)' }),
    from: Flags.string({ description: 'outlet worker address', default: 'outlet' }),
    allow: Flags.string({ description: 'CEL policy: who may open sessions' }),
    'max-sessions-per-peer': Flags.integer({ description: 'concurrent sessions one peer identity may hold (default 256)', min: 1 }),
    'idle-timeout': Flags.integer({ description: 'seconds a session may move no data before it is reset (default 3600; 0: never)', min: 0 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpOutletCreate);
    const home = this.home;
    const { node: name, result: outlet } = await callNode(home, flags.at, 'tcp-outlet.create', {
      target: flags.to, address: flags.from, ...(flags.allow !== undefined ? { allow: flags.allow } : {}),
      ...(flags['max-sessions-per-peer'] !== undefined ? { maxSessionsPerPeer: flags['max-sessions-per-peer'] } : {}),
      ...(flags['idle-timeout'] !== undefined ? { idleTimeoutSeconds: flags['idle-timeout'] } : {}),
    });
    this.log(`Created TCP outlet ${outlet.address} -> ${outlet.target} on node ${name}.`);
    this.log(fields([
      ['allow', outlet.allow ?? '(node policy for tcp-outlet)'],
      ['sessions per peer', String(outlet.status.maxSessionsPerPeer)],
      ['idle timeout', outlet.status.idleTimeoutMs > 0 ? `${outlet.status.idleTimeoutMs / 1000} s` : 'none'],
    ]));
    const warnings = outlet.allow !== undefined ? await attributeWarnings(home, name, outlet.allow) : [];
    if (!this.jsonEnabled()) printWarnings(warnings);
    return { node: name, ...outlet, ...(warnings.length > 0 ? { warnings } : {}) };
  }
}
