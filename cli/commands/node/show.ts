import { Args } from '@oclif/core';
import { NotFoundError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { nodeInfo, nodeSummary } from '../../../node/client/node-lifecycle.js';
import { fields, humanDuration } from '../../format.js';

/** `symbolon node show [NAME]`: details of one node. */
export default class NodeShow extends BaseCommand {
  static override summary = 'Show the details of a node.';
  static override description = 'Shows a node\'s status, pid, TCP listener, uptime, number of workers and open TCP connections, and its metrics endpoint (--metrics). Without NAME, shows the default node.';
  static override examples = ['<%= config.bin %> <%= command.id %> n1', '<%= config.bin %> <%= command.id %> n1 --json'];
  static override args = { name: Args.string({ description: 'node name (default: the default node)', required: false }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(NodeShow);
    const home = this.home;
    const name = args.name ?? home.defaultNode();
    if (name === undefined) throw new NotFoundError('cli', 'this home has no nodes (create one with: symbolon node create NAME)');
    const summary = nodeSummary(home, name);
    const info = summary.status === 'running' ? await nodeInfo(home, name) : undefined;
    const result = {
      ...summary,
      uptimeMs: info?.uptimeMs ?? null,
      workers: info?.workers ?? null,
      connections: info?.connections ?? [],
      stats: info?.stats ?? null,
      log: home.node(name).log,
    };
    this.log(`Node ${name}`);
    this.log(fields([
      ['status', summary.status],
      ['default', summary.isDefault ? 'yes' : 'no'],
      ['pid', summary.pid === null ? '-' : String(summary.pid)],
      ['tcp listener', summary.tcpListenerAddress],
      ['ws listener', summary.wsListenerAddress ?? '-'],
      ['udp listener', summary.udpListenerAddress ?? '-'],
      ['uptime', info ? humanDuration(info.uptimeMs) : '-'],
      ['workers', info ? String(info.workers) : '-'],
      ['connections', info ? String(info.connections.length) : '-'],
      ['refused by bounds', info?.stats.peers ? `${info.stats.peers.refusedConnections} connections, ${info.stats.peers.closedForBuffering} closed for buffering, ${info.stats.peers.closedForPartialFrames} for partial frames` : '-'],
      ['control socket', summary.controlSocket ?? '-'],
      ['metrics', summary.metrics === null ? '-' : `http://${summary.metrics}/metrics`],
      ['log', result.log],
    ]));
    return result;
  }
}
