import { Flags } from '@oclif/core';
import { callControl } from '../../../core/api/control-client.js';
import { BaseCommand } from '../../base-command.js';
import { ensureNode } from '../../../node/client/ensure-node.js';
import { table } from '../../format.js';
import { readNodeState } from '../../../node/home/node-state.js';
import type { TcpOutletView } from '../../../node/daemon/services/tcp-outlets.js';

/** `symbolon tcp-outlet list [--at NODE]`. */
export default class TcpOutletList extends BaseCommand {
  static override summary = 'List the TCP outlets of a node.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --at bank --json'];
  static override flags = { at: Flags.string({ description: 'node (default: the default node)' }) };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(TcpOutletList);
    const home = this.home;
    const { name } = await ensureNode(home, flags.at);
    const socket = readNodeState(home, name)?.controlSocket ?? home.controlSocketPath(name);
    const result = await callControl({ path: socket, name }, 'tcp-outlet.list', {}) as { outlets: TcpOutletView[] };
    if (result.outlets.length === 0) this.log(`No TCP outlets on node ${name}.`);
    else {
      this.log(table(['ADDRESS', 'TARGET', 'SESSIONS', 'ALLOW'], result.outlets.map((o) => [
        o.address, o.target, String(o.status.sessions), o.allow ?? '-',
      ])));
    }
    return { node: name, ...result };
  }
}
