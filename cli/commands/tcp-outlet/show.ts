import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { callNode } from '../../../node/client/node-call.js';
import { fields, lastErrorField } from '../../format.js';

/** `symbolon tcp-outlet show [ADDRESS] [--at NODE]`. */
export default class TcpOutletShow extends BaseCommand {
  static override summary = 'Show a TCP outlet and its counters.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> postgres --at bank'];
  static override args = { address: Args.string({ description: 'outlet address (default outlet)', required: false }) };
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(TcpOutletShow);
    const home = this.home;
    const { node: name, result: o } = await callNode(home, flags.at, 'tcp-outlet.show', { address: args.address ?? 'outlet' });
    this.log(`TCP outlet ${o.address} on node ${name}`);
    this.log(fields([
      ['target', o.target], ['allow', o.allow ?? '(node policy for tcp-outlet)'], ['running', o.status.running ? 'yes' : 'no'],
      ['sessions', `${o.status.sessions} open, ${o.status.sessionsOpened} total, ${o.status.sessionsFailed} failed, ${o.status.peers} peers`],
      ['bytes', `${o.status.bytesIn} in (to the target), ${o.status.bytesOut} out (to inlets)`],
      ['refused', `${o.status.refusals.policy} by policy (see: symbolon policy denials), ${o.status.refusals.unreachable} target unreachable, ${o.status.refusals.capacity} at capacity`],
      ['sessions per peer', `${o.status.maxSessionsPerPeer} max, ${o.status.refusedPeerCap} refused at the cap`],
      ['idle timeout', o.status.idleTimeoutMs > 0 ? `${o.status.idleTimeoutMs / 1000} s (${o.status.idleTimeouts} reset)` : 'none'],
      ['aborted', `${o.status.sessionsAborted} (${o.status.livenessTimeouts} without progress)`],
      ['last error', lastErrorField(o.status)],
      ['created', o.createdAt],
    ]));
    return { node: name, ...o };
  }
}
