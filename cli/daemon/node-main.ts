import { parseArgs } from 'node:util';
import { Home, validateNodeName } from '../home.js';
import { runDaemon } from './run-daemon.js';

/**
 * Entry point of a background node process, started by `symbolon node create|start`:
 * `node-main.js --home HOME --name NAME`. Logs JSON lines to stdout (the node's log file).
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { home: { type: 'string' }, name: { type: 'string' } } });
  if (!values.home || !values.name) {
    process.stderr.write('usage: node-main --home HOME --name NAME\n');
    return 2;
  }
  return runDaemon({ home: new Home(values.home), name: validateNodeName(values.name) });
}

process.exit(await main());
