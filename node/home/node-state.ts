import { readFileSync, rmSync } from 'node:fs';
import type { Home } from './home.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';

/** What a running node records about itself in `nodes/<name>/state.json`. */
export interface NodeState {
  readonly pid: number;
  readonly startedAt: string;
  /** The actual listener address (the port is resolved when configured as 0). */
  readonly tcpListenerAddress: string;
  /** The actual WebSocket listener, `ws://host:port/`, when the node has one. */
  readonly wsListenerAddress?: string;
  /** The actual UDP listener, `host:port`, when the node has one. */
  readonly udpListenerAddress?: string;
  /** Where the node's control socket is. */
  readonly controlSocket: string;
  /** The actual address of the metrics endpoint, when the node serves one. */
  readonly metricsAddress?: string;
}

/** Reads a node's state; undefined when missing or malformed. */
export function readNodeState(home: Home, name: string): NodeState | undefined {
  let value: unknown;
  try {
    value = readJsonFile(home.node(name).state);
  } catch {
    return undefined;
  }
  if (!isObject(value)) return undefined;
  const { pid, startedAt, tcpListenerAddress, controlSocket, wsListenerAddress, udpListenerAddress, metricsAddress } = value;
  if (typeof pid !== 'number' || typeof startedAt !== 'string' || typeof tcpListenerAddress !== 'string' || typeof controlSocket !== 'string') {
    return undefined;
  }
  return {
    pid, startedAt, tcpListenerAddress, controlSocket, ...(typeof wsListenerAddress === 'string' ? { wsListenerAddress } : {}),
    ...(typeof udpListenerAddress === 'string' ? { udpListenerAddress } : {}),
    ...(typeof metricsAddress === 'string' ? { metricsAddress } : {}),
  };
}

/** Writes the state file and the pid file of a running node. */
export function writeNodeState(home: Home, name: string, state: NodeState): void {
  const paths = home.node(name);
  writeJsonFileAtomic(paths.state, state);
  writeJsonFileAtomic(paths.pid, state.pid);
}

/** Reads the pid file; undefined when missing or malformed. */
export function readPid(home: Home, name: string): number | undefined {
  try {
    const pid = Number(readFileSync(home.node(name).pid, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the pid and state files (after a node stopped or died). */
export function clearNodeState(home: Home, name: string): void {
  const paths = home.node(name);
  rmSync(paths.pid, { force: true });
  rmSync(paths.state, { force: true });
}

/**
 * True when a process with this pid exists and has not exited. A zombie (exited, not yet
 * reaped by its parent, which for a detached node may be a slow init) counts as exited.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/** True when /proc says the process has exited (state Z or X); false where /proc is absent. */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state === 'Z' || state === 'X';
}

/** The pid of node `name` when its process is alive; undefined when it is stopped or dead. */
export function runningPid(home: Home, name: string): number | undefined {
  const pid = readPid(home, name);
  return pid !== undefined && isProcessAlive(pid) ? pid : undefined;
}
