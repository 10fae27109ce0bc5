import { Args, Flags } from '@oclif/core';
import { NotFoundError } from '../../../core/errors.js';
import { BaseCommand } from '../../base-command.js';
import { readNodeConfig } from '../../../node/home/node-config.js';
import { followLog, LOG_LEVELS, logLineFilter, type LogLevelName } from '../../../node/home/log-follow.js';
import { formatLogLine, readLogLines } from '../../../node/home/node-log.js';
import { parseSince } from '../../../node/client/project-setup.js';

/** `symbolon node logs [NAME] [--follow] [--since T] [--level L]`: a node's log. */
export default class NodeLogs extends BaseCommand {
  static override summary = 'Show the last lines of a node\'s log, or follow it.';
  static override description = 'Prints the last lines of the node\'s log (<home>/nodes/<name>/node.log and its rotated files node.log.1, node.log.2 ..., oldest first), formatted for reading; --raw prints the JSON lines as written; --json returns them as objects. --since keeps lines at or after a time (ISO 8601) or that long ago (15m, 2h); --level keeps lines at or above a level. --follow keeps printing lines as the node writes them (also across a log rotation) until Ctrl-C; with --json it prints one JSON object per line.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> n1',
    '<%= config.bin %> <%= command.id %> n1 --lines 200 --raw',
    '<%= config.bin %> <%= command.id %> --follow --level warn',
    '<%= config.bin %> <%= command.id %> n1 --since 10m --level error',
  ];
  static override args = { name: Args.string({ description: 'node name (default: the default node)', required: false }) };
  static override flags = {
    lines: Flags.integer({ char: 'n', description: 'number of lines', default: 50, min: 1, max: 100_000 }),
    raw: Flags.boolean({ description: 'print the JSON lines unchanged', default: false }),
    follow: Flags.boolean({ char: 'f', description: 'keep printing new lines until Ctrl-C', default: false }),
    since: Flags.string({ description: 'only lines at or after this ISO time, or this long ago (30s, 15m, 2h, 7d)' }),
    level: Flags.string({ description: 'only lines at or above this level', options: Object.keys(LOG_LEVELS) }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(NodeLogs);
    const home = this.home;
    const name = args.name ?? home.defaultNode();
    if (name === undefined) throw new NotFoundError('cli', 'this home has no nodes');
    readNodeConfig(home, name);
    const path = home.node(name).log;
    const keep = logLineFilter({
      ...(flags.since !== undefined ? { since: parseSince(flags.since) } : {}),
      ...(flags.level !== undefined ? { level: flags.level as LogLevelName } : {}),
    });
    const lines = readLogLines(path, flags.lines, keep);
    if (!flags.follow) {
      for (const line of lines) this.log(flags.raw ? line : formatLogLine(line));
      return { name, path, lines: lines.map(asObject) };
    }
    const print = (line: string): void => {
      if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(asObject(line))}\n`);
      else process.stdout.write(`${flags.raw ? line : formatLogLine(line)}\n`);
    };
    for (const line of lines) print(line);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await followLog(path, (line) => { if (keep === undefined || keep(line)) print(line); }, { signal: stop.signal });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    this.exit(0);
  }
}

/** A log line as `--json` prints it: the object, with pino's `time` (ms) as ISO 8601 like every time in --json. */
function asObject(line: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(line) as unknown;
  } catch {
    return line;
  }
  if (value !== null && typeof value === 'object' && typeof (value as { time?: unknown }).time === 'number') {
    return { ...value, time: new Date((value as { time: number }).time).toISOString() };
  }
  return value;
}
