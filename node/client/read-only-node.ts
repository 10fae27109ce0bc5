import { NotFoundError } from '../../core/errors.js';
import type { NodeMethod, NodeParams, NodeResult } from '../api/node-api.js';
import type { Home } from '../home/home.js';
import { validateNodeName } from '../home/home.js';
import { readNodeConfig, type NodeConfig } from '../home/node-config.js';
import { runningPid } from '../home/node-state.js';
import { callNodeSocket, nodeSocket } from './node-call.js';

/** The outcome of {@link callIfRunning}: the node's answer, or what the home knows without it. */
export type ReadOnlyAnswer<M extends NodeMethod> =
  | { readonly running: true; readonly node: string; readonly result: NodeResult<M> }
  /** The node exists but does not run: its saved configuration. */
  | { readonly running: false; readonly node: string; readonly config: NodeConfig }
  /** The home has no node at all (and no `at` was given). */
  | { readonly running: false; readonly node: null };

/**
 * For read-only commands: calls `method` on node `at` (default: the home's default node)
 * only when that node is running. Never creates or starts a node: a stopped node yields its
 * saved configuration, a home without nodes yields `node: null`. A named node that does not
 * exist is a NotFoundError.
 */
export async function callIfRunning<M extends NodeMethod>(
  home: Home,
  at: string | undefined,
  method: M,
  params: NodeParams<M>,
  { timeoutMs = 10_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ReadOnlyAnswer<M>> {
  if (at !== undefined) validateNodeName(at);
  const name = at ?? home.defaultNode();
  if (name === undefined || (at === undefined && !home.hasNode(name))) return { running: false, node: null };
  if (!home.hasNode(name)) throw new NotFoundError('cli', `node '${name}' does not exist (create it with: symbolon node create ${name})`);
  const config = readNodeConfig(home, name);
  if (runningPid(home, name) === undefined) return { running: false, node: name, config };
  const result = await callNodeSocket({ path: nodeSocket(home, name), name }, method, params, { timeoutMs, ...(signal ? { signal } : {}) });
  return { running: true, node: name, result };
}
