import { AlreadyExistsError, NotFoundError } from '../../core/errors.js';
import type { Home } from '../home/home.js';
import { validateNodeName } from '../home/home.js';
import { createNode, notRunning, startNode } from './node-lifecycle.js';
import { runningPid } from '../home/node-state.js';

/** Name given to a home's default node when commands create it. */
export const DEFAULT_NODE_NAME = 'default';

/** The outcome of ensureNode. */
export interface EnsuredNode {
  readonly name: string;
  /** True when the default node was created by this call. */
  readonly created: boolean;
  /** True when the node was started by this call. */
  readonly started: boolean;
}

/**
 * Makes sure the node a command works on runs. Without `name`: the home's default node,
 * created (as `default`) and started when missing or stopped. With `name`: that node must
 * exist (NotFoundError) and run (IoError with a hint to start it).
 */
export async function ensureNode(home: Home, name?: string, { signal }: { signal?: AbortSignal } = {}): Promise<EnsuredNode> {
  if (name !== undefined) {
    validateNodeName(name);
    if (!home.hasNode(name)) throw new NotFoundError('cli', `node '${name}' does not exist (create it with: symbolon node create ${name})`);
    if (runningPid(home, name) === undefined) throw notRunning(name);
    return { name, created: false, started: false };
  }
  const existing = home.defaultNode();
  const target = existing ?? DEFAULT_NODE_NAME;
  let created = false;
  if (!home.hasNode(target)) {
    try {
      createNode(home, target);
      created = true;
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
    }
  }
  if (runningPid(home, target) !== undefined) return { name: target, created, started: false };
  try {
    await startNode(home, target, signal ? { signal } : {});
  } catch (err) {
    // Another command may have started it at the same time; its node serves us as well.
    if (runningPid(home, target) === undefined) throw err;
    return { name: target, created, started: false };
  }
  return { name: target, created, started: true };
}
