import { callControl } from '../../core/api/control-client.js';
import type { Home } from '../home/home.js';
import { ensureNode } from './ensure-node.js';
import { readNodeState } from '../home/node-state.js';

/**
 * Calls control method `method` on a node of `home`: `at`, which must exist and run, or
 * without it the home's default node (created and started when missing). Returns the
 * node's name and the method's result.
 */
export async function callNode<T>(
  home: Home,
  at: string | undefined,
  method: string,
  params: Record<string, unknown> = {},
  { timeoutMs = 10_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<{ node: string; result: T }> {
  const { name } = await ensureNode(home, at, signal ? { signal } : {});
  const socket = readNodeState(home, name)?.controlSocket ?? home.controlSocketPath(name);
  const result = await callControl({ path: socket, name }, method, params, { timeoutMs, ...(signal ? { signal } : {}) }) as T;
  return { node: name, result };
}
