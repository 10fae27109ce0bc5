import { BaseCommand } from '../../base-command.js';
import { nodeSummary } from '../../../node/client/node-lifecycle.js';
import { table } from '../../format.js';

/** `symbolon node list`: the nodes of the home and whether each runs. */
export default class NodeList extends BaseCommand {
  static override summary = 'List the nodes of this home.';
  static override description = 'Shows every node in the home with its status (running or stopped), pid and TCP listener. A node whose process died shows as stopped.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json'];

  async run(): Promise<unknown> {
    await this.parse(NodeList);
    const home = this.home;
    const nodes = home.nodeNames().map((n) => nodeSummary(home, n));
    if (nodes.length === 0) {
      this.log('No nodes. Create one with: symbolon node create NAME');
    } else {
      this.log(table(['NAME', 'STATUS', 'PID', 'TCP LISTENER', 'DEFAULT'], nodes.map((n) => [
        n.name, n.status, n.pid === null ? '-' : String(n.pid), n.tcpListenerAddress, n.isDefault ? 'yes' : '',
      ])));
    }
    return { nodes };
  }
}
