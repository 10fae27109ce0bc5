import pino from 'pino';
import type { Logger } from '../../core/logger.js';
import type { Home } from '../home/home.js';
import { SymbolonError } from '../../core/errors.js';
import { DEFAULT_LOG_LIMITS } from '../home/log-limits.js';
import { readNodeConfig } from '../home/node-config.js';
import { NodeDaemon } from './node-daemon.js';
import { RotatingLogFile } from './rotating-log-file.js';

/** Exit code of a node that could not start because of an I/O failure (as the CLI's `io` kind). */
export const EXIT_IO = 5;
/** Exit code of a node that could not start for any other reason. */
export const EXIT_START_FAILED = 1;

/** True for an I/O failure: an `io` SymbolonError or an operating-system file error. */
function isIoFailure(err: unknown): boolean {
  if (err instanceof SymbolonError) return err.kind === 'io';
  return err instanceof Error && typeof (err as { syscall?: unknown }).syscall === 'string' && /^E[A-Z]+$/.test(String((err as { code?: unknown }).code));
}

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
 * process exit code: 0 after a clean stop, 5 when the node could not start because of an
 * I/O failure (unwritable home, log or socket), 1 when it could not start for another
 * reason (the reason is logged as an error line, which `node create` shows).
 */
export async function runDaemon({ home, name, foreground = false }: RunDaemonOptions): Promise<number> {
  let logger: pino.Logger;
  try {
    logger = daemonLogger(home, name, foreground);
  } catch (err) {
    process.stderr.write(`Error: cannot open the log of node '${name}': ${err instanceof Error ? err.message : String(err)}\n`);
    return isIoFailure(err) ? EXIT_IO : EXIT_START_FAILED;
  }
  const log: Logger = logger;
  let daemon: NodeDaemon;
  try {
    daemon = await NodeDaemon.start({ home, name, logger: log });
  } catch (err) {
    logger.error({ err: err instanceof Error ? err.message : String(err) }, 'node failed to start');
    if (process.env.SYMBOLON_DEBUG) logger.debug({ stack: err instanceof Error ? err.stack : undefined }, 'startup failure');
    return isIoFailure(err) ? EXIT_IO : EXIT_START_FAILED;
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
