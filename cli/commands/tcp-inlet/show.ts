import { Args, Flags } from '@oclif/core';
import { callControl } from '../../../core/api/control-client.js';
import { BaseCommand } from '../../base-command.js';
import { ensureNode } from '../../../node/client/ensure-node.js';
import { fields } from '../../format.js';
import { readNodeState } from '../../../node/home/node-state.js';
import type { TcpInletView } from '../../../node/daemon/services/tcp-inlets.js';

/** `symbolon tcp-inlet show HOST:PORT [--at NODE]`: status, sessions and the last error. */
export default class TcpInletShow extends BaseCommand {
  static override summary = 'Show a TCP inlet: connected or not, sessions, last error.';
  static override examples = ['<%= config.bin %> <%= command.id %> 127.0.0.1:15432'];
  static override args = { listen: Args.string({ description: 'the inlet\'s listen address', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(TcpInletShow);
    const home = this.home;
    const { name } = await ensureNode(home, flags.at);
    const socket = readNodeState(home, name)?.controlSocket ?? home.controlSocketPath(name);
    const i = await callControl({ path: socket, name }, 'tcp-inlet.show', { name: args.listen }) as TcpInletView;
    this.log(`TCP inlet ${i.listen} on node ${name}`);
    this.log(fields([
      [i.via !== undefined ? 'via' : 'to', i.via ?? i.to ?? '-'], ['outlet', i.outlet],
      ['allow', i.allow ?? '(node policy for tcp-inlet)'],
      ['connected', i.status ? (i.status.connected ? 'yes' : 'no') : 'no'],
      ['sessions', String(i.status?.sessions ?? 0)],
      ['last error', i.error ?? i.status?.lastError ?? '-'],
    ]));
    return { node: name, ...i };
  }
}
