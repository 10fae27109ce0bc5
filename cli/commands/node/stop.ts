import { Args } from '@oclif/core';
import { NotFoundError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { readNodeConfig } from '../../../node/home/node-config.js';
import { stopNode } from '../../../node/client/node-lifecycle.js';

/** `symbolon node stop [NAME]`: stops a node, keeping its configuration. */
export default class NodeStop extends BaseCommand {
  static override summary = 'Stop a running node.';
  static override description = 'Stops the node\'s process (SIGTERM, then SIGKILL if it does not exit within 5 s) and keeps its configuration, so `node start` brings it back.';
  static override examples = ['<%= config.bin %> <%= command.id %> n1'];
  static override args = { name: Args.string({ description: 'node name (default: the default node)', required: false }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(NodeStop);
    const home = this.home;
    const name = args.name ?? home.defaultNode();
    if (name === undefined) throw new NotFoundError('cli', 'this home has no nodes');
    readNodeConfig(home, name);
    const wasRunning = await stopNode(home, name);
    this.log(wasRunning ? `Node ${name} stopped` : `Node ${name} was not running`);
    return { name, status: 'stopped', wasRunning };
  }
}
