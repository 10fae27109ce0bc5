import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Home } from '../home/home.js';
import { readNodeConfig } from '../home/node-config.js';
import { runningPid, readNodeState } from '../home/node-state.js';
import { AlreadyExistsError } from '../../core/errors.js';
import { daemonCommand } from './daemon-command.js';
import { nodeInfo, NodeStartError } from './node-lifecycle.js';

/**
 * Runs node `name` as a child process attached to this terminal (its log lines on stdout,
 * for containers and systemd) until it exits. Once its control socket answers, `onReady`
 * runs (what `symbolon run` applies to the running node); when `onReady` fails, the node
 * is stopped and the error is rethrown. SIGINT and SIGTERM sent to this process are passed
 * on, so the node stops cleanly. Resolves with the node's exit code.
 */
export async function runAttached(
  home: Home,
  name: string,
  { onReady, readyTimeoutMs = 30_000 }: { onReady?: () => Promise<void>; readyTimeoutMs?: number } = {},
): Promise<number> {
  const config = readNodeConfig(home, name);
  if (runningPid(home, name) !== undefined) throw new AlreadyExistsError('cli', `node '${name}' is already running in the background (stop it first: symbolon node stop ${name})`);
  const { command, args } = daemonCommand(home.root, name, { foreground: true, gc: config.gc });
  // Its own process group: a Ctrl-C reaches this process only, and is passed on once.
  const child = spawn(command, args, { stdio: 'inherit', detached: true, cwd: home.node(name).dir, env: process.env });
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : 1)));
  });
  let exitCode: number | undefined;
  void exited.then((code) => { exitCode = code; }, () => { exitCode = 1; });
  try {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (exitCode !== undefined) throw new NodeStartError(`node '${name}' failed to start (exit code ${exitCode}; its log is above)`, []);
      if (Date.now() > deadline) {
        child.kill('SIGTERM');
        throw new NodeStartError(`node '${name}' did not become ready within ${readyTimeoutMs} ms`, []);
      }
      if (readNodeState(home, name)?.pid === child.pid) {
        try {
          await nodeInfo(home, name, { timeoutMs: 1000 });
          break;
        } catch {
          // not answering yet
        }
      }
      await sleep(50);
    }
    if (onReady) {
      try {
        await onReady();
      } catch (err) {
        child.kill('SIGTERM');
        await exited.catch(() => 1);
        throw err;
      }
    }
    return await exited;
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
