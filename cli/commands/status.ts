import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { homeStatus } from '../../node/client/home-status.js';
import { parseDuration } from '../format.js';
import { statusText } from '../status-text.js';

/** Clears a terminal and moves the cursor home (for --watch on a terminal). */
const CLEAR = '\u001b[H\u001b[2J';

/** `symbolon status [--watch]`: one view of the home. */
export default class Status extends BaseCommand {
  static override summary = 'Show this home at a glance: identity, projects, nodes, inlets, outlets and relays with their health.';
  static override description = 'One view of the home: the default identity and its vault; each project with this home\'s role and when the credential expires (and, on a project node, its relays and member count); each node (running with listener and uptime, or stopped/crashed with how it ended); each inlet, outlet and relay with its health, session and byte counters and its last error with the time it happened. Never starts a node. --watch redraws it every --interval until Ctrl-C (or --count times); with --json, --watch prints one JSON document per line. The --json shape is documented in docs/operations.md ("status").';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --watch --interval 5s',
    'SYMBOLON_HOME=/tmp/h <%= config.bin %> <%= command.id %> --json',
  ];
  static override flags = {
    watch: Flags.boolean({ char: 'w', description: 'refresh in place until Ctrl-C', default: false }),
    interval: Flags.string({ description: 'time between refreshes with --watch (e.g. 2s, 500ms)', default: '2s' }),
    count: Flags.integer({ description: 'with --watch: stop after this many views', min: 1, max: 1_000_000 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Status);
    const home = this.home;
    if (!flags.watch) {
      const status = await homeStatus(home);
      this.log(statusText(status));
      return status;
    }
    const interval = Math.max(100, parseDuration(flags.interval));
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const tty = process.stdout.isTTY === true && !this.jsonEnabled();
    try {
      for (let shown = 0; !stop.signal.aborted && (flags.count === undefined || shown < flags.count); shown++) {
        if (shown > 0 && !(await pause(interval, stop.signal))) break;
        const status = await homeStatus(home);
        if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(status)}\n`);
        else process.stdout.write(`${tty ? CLEAR : shown > 0 ? '\n' : ''}${statusText(status)}\n${tty ? `\n(every ${flags.interval}; Ctrl-C to stop)\n` : ''}`);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    // Each view is printed already (one JSON document per line with --json).
    this.exit(0);
  }
}

/** Waits `ms`; false when `signal` aborted first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (slept: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(slept);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
