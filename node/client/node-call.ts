import { callControl } from '../../core/api/control-client.js';
import type { CallOptions, ControlClientOptions } from '../../core/api/control-client.js';
import type { NodeMethod, NodeParams, NodeResult } from '../api/node-api.js';
import type { Home } from '../home/home.js';
import { ensureNode } from './ensure-node.js';
import { readNodeState } from '../home/node-state.js';

/**
 * Calls method `method` of the node API (node/api/node-api.ts) on the control socket
 * `options.path` and returns its typed result. Connects, calls once and closes.
 */
export async function callNodeSocket<M extends NodeMethod>(
  options: ControlClientOptions,
  method: M,
  params: NodeParams<M>,
  callOptions: CallOptions = {},
): Promise<NodeResult<M>> {
  // The node answers with the result type of the method's table entry (same build).
  return await callControl(options, method, params, callOptions) as NodeResult<M>;
}

/** The control socket of node `name` of `home`. */
export function nodeSocket(home: Home, name: string): string {
  return readNodeState(home, name)?.controlSocket ?? home.controlSocketPath(name);
}

/**
 * Calls node API method `method` on a node of `home`: `at`, which must exist and run, or
 * without it the home's default node (created and started when missing). Returns the
 * node's name and the method's typed result.
 */
export async function callNode<M extends NodeMethod>(
  home: Home,
  at: string | undefined,
  method: M,
  params: NodeParams<M>,
  { timeoutMs = 10_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ node: string; result: NodeResult<M> }> {
  const { name } = await ensureNode(home, at, signal ? { signal } : {});
  const result = await callNodeSocket({ path: nodeSocket(home, name), name }, method, params, { timeoutMs, ...(signal ? { signal } : {}) });
  return { node: name, result };
}
