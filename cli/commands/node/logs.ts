import { Args, Flags } from '@oclif/core';
import { NotFoundError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { readNodeConfig } from '../../../node/home/node-config.js';
import { formatLogLine, readLogLines } from '../../../node/home/node-log.js';

/** `symbolon node logs [NAME]`: the last lines of a node's log. */
export default class NodeLogs extends BaseCommand {
  static override summary = 'Show the last lines of a node\'s log.';
  static override description = 'Prints the last lines of the node\'s log (<home>/nodes/<name>/node.log and its rotated files node.log.1, node.log.2 ..., oldest first), formatted for reading; --raw prints the JSON lines as written; --json returns them as objects.';
  static override examples = ['<%= config.bin %> <%= command.id %> n1', '<%= config.bin %> <%= command.id %> n1 --lines 200 --raw'];
  static override args = { name: Args.string({ description: 'node name (default: the default node)', required: false }) };
  static override flags = {
    lines: Flags.integer({ char: 'n', description: 'number of lines', default: 50, min: 1, max: 100_000 }),
    raw: Flags.boolean({ description: 'print the JSON lines unchanged', default: false }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NodeLogs);
    const home = this.home;
    const name = args.name ?? home.defaultNode();
    if (name === undefined) throw new NotFoundError('cli', 'this home has no nodes');
    readNodeConfig(home, name);
    const path = home.node(name).log;
    const lines = readLogLines(path, flags.lines);
    for (const line of lines) this.log(flags.raw ? line : formatLogLine(line));
    return {
      name, path, lines: lines.map((l) => {
        try { return JSON.parse(l) as unknown; } catch { return l; }
      }),
    };
  }
}
