import { BaseCommand } from '../base-command.js';
import { nodeSummary } from '../../node/client/node-lifecycle.js';
import { table } from '../format.js';

/** `symbolon status`: a summary of the home. */
export default class Status extends BaseCommand {
  static override summary = 'Summarize this home: its nodes and whether each runs.';
  static override description = 'Shows the home folder, the default node and every node with its status and TCP listener.';
  static override examples = ['<%= config.bin %> <%= command.id %>', 'SYMBOLON_HOME=/tmp/h <%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<unknown> {
    await this.parse(Status);
    const home = this.home;
    const nodes = home.nodeNames().map((n) => nodeSummary(home, n));
    const running = nodes.filter((n) => n.status === 'running').length;
    const defaultNode = home.defaultNode() ?? null;
    this.log(`Home:         ${home.root}`);
    this.log(`Default node: ${defaultNode ?? '-'}`);
    this.log(`Nodes:        ${nodes.length} (${running} running)`);
    if (nodes.length > 0) {
      this.log('');
      this.log(table(['NAME', 'STATUS', 'TCP LISTENER'], nodes.map((n) => [n.name, n.status, n.tcpListenerAddress])));
    }
    return { home: home.root, defaultNode, nodes, running };
  }
}
