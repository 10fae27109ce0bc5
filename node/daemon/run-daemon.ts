import pino from 'pino';
import type { Logger } from '../../core/logger.js';
import type { Home } from '../home/home.js';
import { DEFAULT_LOG_LIMITS } from '../home/log-limits.js';
import { readNodeConfig } from '../home/node-config.js';
import { NodeDaemon } from './node-daemon.js';
import { RotatingLogFile } from './rotating-log-file.js';

/** Options of runDaemon. */
export interface RunDaemonOptions {
  readonly home: Home;
  readonly name: string;
  /** Also log to stdout (a node run in the terminal); otherwise stdout is the log file already. */
  readonly foreground?: boolean;
}

/**
 * A pino logger writing JSON lines to the node's log file, rotated within the node's log
 * limits (see RotatingLogFile), and in the foreground to stdout as well.
 */
export function daemonLogger(home: Home, name: string, foreground: boolean): pino.Logger {
  const level = process.env.SYMBOLON_LOG_LEVEL ?? 'info';
  let limits = DEFAULT_LOG_LIMITS;
  try {
    limits = readNodeConfig(home, name).log ?? DEFAULT_LOG_LIMITS;
  } catch {
    // A missing configuration is reported by the daemon's start; log within the defaults.
  }
  const file = new RotatingLogFile(home.node(name).log, limits);
  if (!foreground) return pino({ level, base: { pid: process.pid } }, file);
  const stdout = pino.destination({ dest: 1, sync: true });
  return pino({ level, base: { pid: process.pid } }, pino.multistream([{ level: 'trace', stream: stdout }, { level: 'trace', stream: file }]));
}

/**
 * Runs node `name` until SIGTERM or SIGINT, then stops it cleanly. Resolves with the
 * process exit code: 0 after a clean stop, 1 when the node could not start (the reason is
 * logged as an error line, which `node create` shows).
 */
export async function runDaemon({ home, name, foreground = false }: RunDaemonOptions): Promise<number> {
  const logger = daemonLogger(home, name, foreground);
  const log: Logger = logger;
  let daemon: NodeDaemon;
  try {
    daemon = await NodeDaemon.start({ home, name, logger: log });
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'node failed to start');
    if (process.env.SYMBOLON_DEBUG) logger.debug({ stack: err instanceof Error ? err.stack : undefined }, 'startup failure');
    return 1;
  }
  const onUncaught = (err: unknown): void => {
    logger.error({ err: err instanceof Error ? err.stack : String(err) }, 'uncaught error');
  };
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'stopping');
  await daemon.stop();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  return 0;
}
