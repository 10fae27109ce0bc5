import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields, lastErrorField } from '../../format.js';

/** `symbolon tcp-inlet show HOST:PORT [--at NODE]`: status, sessions and the last error. */
export default class TcpInletShow extends BaseCommand {
  static override summary = 'Show a TCP inlet: connected or not, sessions, last error.';
  static override examples = ['<%= config.bin %> <%= command.id %> 127.0.0.1:15432'];
  static override args = { listen: Args.string({ description: 'the inlet\'s listen address', required: true }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(TcpInletShow);
    const home = this.home;
    const { node: name, result: i } = await callNode(home, flags.at, 'tcp-inlet.show', { name: args.listen });
    this.log(`TCP inlet ${i.listen} on node ${name}`);
    this.log(fields([
      [i.via !== undefined ? 'via' : 'to', i.via ?? i.to ?? '-'], ['outlet', i.outlet],
      ['allow', i.allow ?? '(node policy for tcp-inlet)'],
      ...(i.path === undefined ? [] : [['path', `${i.path.path}${i.path.peerAddress !== undefined && i.path.path === 'direct' ? ` (udp ${i.path.peerAddress})` : ''}${i.path.reason !== undefined ? ` (${i.path.reason})` : ''}`] as [string, string]]),
      ['connected', i.status ? (i.status.connected ? 'yes' : 'no') : 'no'],
      ['sessions', String(i.status?.sessions ?? 0)],
      ['last error', i.error ?? lastErrorField(i.status, i.status?.since)],
    ]));
    return { node: name, ...i };
  }
}
