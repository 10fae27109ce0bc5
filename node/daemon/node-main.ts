import { parseArgs } from 'node:util';
import { Home, validateNodeName } from '../home/home.js';
import { runDaemon } from './run-daemon.js';

/**
 * Entry point of a background node process, started by `symbolon node create|start`:
 * `node-main.js --home HOME --name NAME`. Logs JSON lines to stdout (the node's log file);
 * with `--foreground` (`node create --foreground`), stdout is the terminal and the log file
 * is written as well.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { home: { type: 'string' }, name: { type: 'string' }, foreground: { type: 'boolean' } } });
  if (!values.home || !values.name) {
    process.stderr.write('usage: node-main --home HOME --name NAME [--foreground]\n');
    return 2;
  }
  return runDaemon({ home: new Home(values.home), name: validateNodeName(values.name), foreground: values.foreground === true });
}

process.exit(await main());
