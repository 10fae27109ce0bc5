import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortedError, AlreadyExistsError, IoError } from '../../core/errors.js';
import type { Home } from '../home/home.js';
import { DEFAULT_TCP_LISTENER, readNodeConfig, validateForwardingDestination, validateListenerAddress, validateUdpListenerAddress, writeNodeConfig } from '../home/node-config.js';
import type { GcMode, NodeConfig } from '../home/node-config.js';
import type { LogLimits } from '../home/log-limits.js';
import type { NodeLimits } from '../home/node-limits.js';
import { validateMetricsEndpoint, type MetricsEndpoint } from '../home/metrics-endpoint.js';
import { clearNodeState, isProcessAlive, readNodeState, runningPid } from '../home/node-state.js';
import { daemonCommand } from './daemon-command.js';
import { formatLogLine, lineOfPid, readLogLines, readLogTail, startupFailureReason } from '../home/node-log.js';
import type { NodeInfo } from '../api/node-info.js';
import { callNodeSocket, nodeSocket } from './node-call.js';

/** A node that exited or hung while starting; `logTail` holds the last lines of its log. */
export class NodeStartError extends IoError {
  constructor(message: string, readonly logTail: string[]) {
    super('cli', message);
  }
}

/**
 * Creates node `name` in `home` (configuration only; see startNode). The home's first node
 * becomes its default node. Throws AlreadyExistsError when the name is taken.
 */
export function createNode(
  home: Home,
  name: string,
  {
    tcpListenerAddress = DEFAULT_TCP_LISTENER, allowTcpForwarding = [], log, limits = {}, gc, wsListenerAddress, udpListenerAddress, metrics,
  }: {
    tcpListenerAddress?: string; allowTcpForwarding?: readonly string[]; log?: LogLimits; limits?: NodeLimits; gc?: GcMode; wsListenerAddress?: string;
    udpListenerAddress?: string;
    metrics?: MetricsEndpoint;
  } = {},
): NodeConfig {
  if (home.hasNode(name)) throw new AlreadyExistsError('cli', `node '${name}' already exists`);
  const config: NodeConfig = {
    version: 1,
    name,
    tcpListenerAddress: validateListenerAddress(tcpListenerAddress),
    ...(wsListenerAddress === undefined ? {} : { wsListenerAddress: validateListenerAddress(wsListenerAddress, 'WebSocket') }),
    ...(udpListenerAddress === undefined ? {} : { udpListenerAddress: validateUdpListenerAddress(udpListenerAddress) }),
    allowTcpForwarding: allowTcpForwarding.map(validateForwardingDestination),
    limits,
    ...(gc === undefined || gc === 'auto' ? {} : { gc }),
    createdAt: new Date().toISOString(),
    ...(log ? { log } : {}),
    ...(metrics ? { metrics: validateMetricsEndpoint(metrics.listen, { allowRemote: metrics.allowRemote === true }) } : {}),
    sections: {},
  };
  writeNodeConfig(home, config);
  if (home.defaultNode() === undefined) home.updateConfig((c) => ({ ...c, defaultNode: name }));
  return config;
}

/** Asks a running node for its info over its control socket. */
export async function nodeInfo(home: Home, name: string, { timeoutMs = 5000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NodeInfo> {
  return await callNodeSocket({ path: nodeSocket(home, name), name }, 'node.info', {}, { timeoutMs, ...(signal ? { signal } : {}) });
}

/**
 * What `node create` and `project create` do once a node's configuration is written:
 * with `foreground`, run the node in this process until it stops (sets the exit code,
 * returns undefined); otherwise start it in the background and return its info. When a
 * background start fails, `undo` removes what the command created, then the error is rethrown.
 */
export async function launchNode(
  home: Home,
  name: string,
  { foreground, undo }: { foreground: boolean; undo: () => void | Promise<void> },
): Promise<NodeInfo | undefined> {
  if (foreground) {
    process.exitCode = await runForeground(home, name);
    return undefined;
  }
  try {
    return await startNode(home, name);
  } catch (err) {
    await undo();
    throw err;
  }
}

/**
 * Runs node `name` as a child process attached to this terminal until it exits; SIGINT and
 * SIGTERM sent to this process are passed on, so the node stops cleanly. Resolves with its
 * exit code.
 */
async function runForeground(home: Home, name: string): Promise<number> {
  const { command, args } = daemonCommand(home.root, name, { foreground: true, gc: readNodeConfig(home, name).gc });
  // Its own process group: a Ctrl-C reaches this process only, and is passed on once.
  const child = spawn(command, args, { stdio: 'inherit', detached: true, cwd: home.node(name).dir, env: process.env });
  const forward = (sig: NodeJS.Signals): void => { child.kill(sig); };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + (osConstants.signals[sig] ?? 0) : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

/**
 * Starts node `name` as a detached background process (stdout and stderr go to its log) and
 * waits until its control socket answers. Throws NodeStartError, with the log's last lines,
 * when the process exits or does not answer within `timeoutMs`.
 */
export async function startNode(home: Home, name: string, { timeoutMs = 10_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NodeInfo> {
  const config = readNodeConfig(home, name);
  if (runningPid(home, name) !== undefined) throw new AlreadyExistsError('cli', `node '${name}' is already running`);
  clearNodeState(home, name);
  const paths = home.node(name);
  // The node writes its own (rotated) log; stdout and stderr catch only what the process
  // prints outside it (a crash), from this start on.
  let outFd: number;
  try {
    outFd = openSync(paths.out, 'w', 0o600);
  } catch (cause) {
    throw new IoError('cli', `cannot open the output file of node '${name}' (${paths.out}): ${(cause as Error).message}`, { cause });
  }
  const { command, args } = daemonCommand(home.root, name, { gc: config.gc });
  let exit: string | undefined;
  const child = spawn(command, args, { detached: true, stdio: ['ignore', outFd, outFd], cwd: paths.dir, env: process.env });
  closeSync(outFd);
  const startupLines = (): string[] => [
    ...(child.pid !== undefined ? readLogLines(paths.log, 20, (l) => lineOfPid(l, child.pid!)) : []),
    ...readLogTail(paths.out, 20),
  ];
  child.once('error', (err) => { exit = `could not run ${command}: ${err.message}`; });
  child.once('exit', (code, sig) => { exit = sig ? `killed by ${sig}` : `exited with code ${code}`; });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (signal?.aborted) {
      child.kill('SIGKILL');
      throw new AbortedError('cli');
    }
    if (exit !== undefined) {
      const tail = startupLines();
      throw new NodeStartError(`node '${name}' failed to start: ${startupFailureReason(tail) ?? exit}`, tail.map(formatLogLine));
    }
    const state = readNodeState(home, name);
    if (state && state.pid === child.pid) {
      try {
        return await nodeInfo(home, name, { timeoutMs: 1000 });
      } catch {
        // not answering yet
      }
    }
    await sleep(50);
  }
  child.kill('SIGKILL');
  const tail = startupLines();
  throw new NodeStartError(`node '${name}' did not become ready within ${timeoutMs} ms`, tail.map(formatLogLine));
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isProcessAlive(pid)) return true;
    await sleep(25);
  }
  return !isProcessAlive(pid);
}

/**
 * Stops node `name`: SIGTERM, then SIGKILL when it has not exited within `timeoutMs`.
 * Removes its pid, state and socket files. Returns false when it was not running.
 */
export async function stopNode(home: Home, name: string, { timeoutMs = 5000 }: { timeoutMs?: number } = {}): Promise<boolean> {
  const pid = runningPid(home, name);
  const socket = readNodeState(home, name)?.controlSocket;
  if (pid !== undefined) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
    if (!(await waitForExit(pid, timeoutMs))) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
      if (!(await waitForExit(pid, 2000))) throw new IoError('cli', `node '${name}' (pid ${pid}) did not stop`);
    }
  }
  clearNodeState(home, name);
  for (const path of [socket, home.controlSocketPath(name)]) if (path) rmSync(path, { force: true });
  return pid !== undefined;
}

/**
 * Stops node `name` and removes its folder. When it was the default node, the first
 * remaining node (if any) becomes the default.
 */
export async function deleteNode(home: Home, name: string): Promise<{ wasRunning: boolean }> {
  readNodeConfig(home, name);
  const wasRunning = await stopNode(home, name);
  rmSync(home.node(name).dir, { recursive: true, force: true });
  if (home.readConfig().defaultNode === name) {
    const next = home.nodeNames()[0];
    home.updateConfig(({ defaultNode: _old, ...rest }) => (next ? { ...rest, defaultNode: next } : { ...rest }) as typeof rest);
  }
  return { wasRunning };
}

/** What `node list` and `status` show about one node, read from the home (no control call). */
export interface NodeSummary {
  readonly name: string;
  readonly status: 'running' | 'stopped';
  readonly isDefault: boolean;
  readonly pid: number | null;
  /** The actual listener when running, the configured one otherwise. */
  readonly tcpListenerAddress: string;
  /** The WebSocket listener (`ws://host:port/` when running, HOST:PORT as configured otherwise); null when none. */
  readonly wsListenerAddress: string | null;
  /** The UDP listener (actual `host:port` when running, as configured otherwise); null when none. */
  readonly udpListenerAddress: string | null;
  readonly controlSocket: string | null;
  readonly startedAt: string | null;
  /** The metrics endpoint: its actual address when running, the configured one otherwise; null when the node serves none. */
  readonly metrics: string | null;
}

/** Summarizes node `name` from its files and whether its process is alive. */
export function nodeSummary(home: Home, name: string): NodeSummary {
  const config = readNodeConfig(home, name);
  const pid = runningPid(home, name);
  const state = pid !== undefined ? readNodeState(home, name) : undefined;
  return {
    name,
    status: pid !== undefined ? 'running' : 'stopped',
    isDefault: home.defaultNode() === name,
    pid: pid ?? null,
    tcpListenerAddress: state?.tcpListenerAddress ?? config.tcpListenerAddress,
    wsListenerAddress: state?.wsListenerAddress ?? config.wsListenerAddress ?? null,
    udpListenerAddress: state?.udpListenerAddress ?? config.udpListenerAddress ?? null,
    controlSocket: state?.controlSocket ?? null,
    startedAt: state?.startedAt ?? null,
    metrics: state?.metricsAddress ?? config.metrics?.listen ?? null,
  };
}

/** Thrown for operations that need a running node. */
export function notRunning(name: string): IoError {
  return new IoError('cli', `node '${name}' is not running (start it with: symbolon node start ${name})`);
}

/** Returns the pid of node `name`; throws NotFoundError when it does not exist, IoError when it is stopped. */
export function requireRunning(home: Home, name: string): number {
  readNodeConfig(home, name);
  const pid = runningPid(home, name);
  if (pid === undefined) throw notRunning(name);
  return pid;
}
