import { Args, Flags } from '@oclif/core';
import { NotFoundError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { readNodeConfig } from '../../../node/home/node-config.js';
import { startNode } from '../../../node/client/node-lifecycle.js';
import { fields } from '../../format.js';

/** `symbolon node start [NAME]`: restarts a stopped node from its configuration. */
export default class NodeStart extends BaseCommand {
  static override summary = 'Start a stopped node.';
  static override description = 'Starts a node again from its persisted configuration (listener address and services such as inlets, outlets, relays and policies). With --foreground it runs in this terminal.';
  static override examples = ['<%= config.bin %> <%= command.id %> n1', '<%= config.bin %> <%= command.id %> n1 --foreground'];
  static override args = { name: Args.string({ description: 'node name (default: the default node)', required: false }) };
  static override flags = { foreground: Flags.boolean({ description: 'run the node in this terminal', default: false }) };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NodeStart);
    const home = this.home;
    const name = args.name ?? home.defaultNode();
    if (name === undefined) throw new NotFoundError('cli', 'this home has no nodes');
    readNodeConfig(home, name);
    if (flags.foreground) {
      const { runDaemon } = await import('../../../node/daemon/run-daemon.js');
      process.exitCode = await runDaemon({ home, name, foreground: true });
      return undefined;
    }
    const info = await startNode(home, name);
    this.log(`Node ${name} started`);
    this.log(fields([['pid', String(info.pid)], ['tcp listener', info.tcpListenerAddress], ['control socket', info.controlSocket]]));
    return { name, status: info.status, pid: info.pid, tcpListenerAddress: info.tcpListenerAddress, controlSocket: info.controlSocket };
  }
}
