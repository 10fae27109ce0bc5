import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields, lastErrorField } from '../../format.js';

/** `symbolon relay show NAME [--at NODE]`. */
export default class RelayShow extends BaseCommand {
  static override summary = 'Show a relay: connected or not, registrations, last error.';
  static override examples = ['<%= config.bin %> <%= command.id %> postgres'];
  static override args = { name: Args.string({ description: 'relay name', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(RelayShow);
    const home = this.home;
    const { node: name, result: r } = await callNode(home, flags.at, 'relay.show', { name: args.name });
    this.log(`Relay ${r.name} of node ${name}`);
    this.log(fields([
      ['project', r.at], ['address', r.status.address], ['connected', r.status.connected ? 'yes' : 'no'],
      ['registrations', String(r.status.registrations)], ['since', r.status.since],
      ['last error', lastErrorField(r.status, r.status.since)],
    ]));
    return { node: name, ...r };
  }
}
