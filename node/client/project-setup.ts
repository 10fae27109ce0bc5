import { InvalidInputError, NotFoundError } from '../../core/errors.js';
import { DEFAULT_NODE_NAME, ensureNode } from './ensure-node.js';
import type { Home } from '../home/home.js';
import { startNode } from './node-lifecycle.js';
import { runningPid } from '../home/node-state.js';
import type { NodeMethod, NodeParams, NodeResult } from '../api/node-api.js';
import { callNodeSocket, nodeSocket } from './node-call.js';
import { defaultProjectName, readProject, type ProjectRecord } from '../home/project-registry.js';

/** The project a command works on: `name`, else the home's default project. */
export function resolveProject(home: Home, name?: string): ProjectRecord {
  if (name !== undefined) return readProject(home, name);
  const fallback = defaultProjectName(home);
  if (fallback === undefined) throw new NotFoundError('cli', 'this home belongs to no project (create one: symbolon project create NAME --listen HOST:PORT, or enroll: symbolon project enroll TICKET)');
  return readProject(home, fallback);
}

/**
 * Makes sure node `name` (default: the home's default node) runs, starting it when it
 * exists but is stopped; returns its name.
 */
export async function ensureRunning(home: Home, name?: string, { signal }: { signal?: AbortSignal } = {}): Promise<string> {
  if (name === undefined || name === (home.defaultNode() ?? DEFAULT_NODE_NAME)) return (await ensureNode(home, undefined, signal ? { signal } : {})).name;
  if (home.hasNode(name) && runningPid(home, name) === undefined) {
    try {
      await startNode(home, name, signal ? { signal } : {});
    } catch (err) {
      if (runningPid(home, name) === undefined) throw err;
    }
  }
  return (await ensureNode(home, name, signal ? { signal } : {})).name;
}

/**
 * Calls node API method `method` on the node of this home that belongs to `project`
 * (started when needed) and returns its typed result. Params that name the project
 * (`project: project.name`) are the caller's to give.
 */
export async function callProjectNode<M extends NodeMethod>(
  home: Home,
  project: ProjectRecord,
  method: M,
  params: NodeParams<M>,
  { timeoutMs = 30_000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<NodeResult<M>> {
  const node = await ensureRunning(home, project.node, signal ? { signal } : {});
  return await callNodeSocket({ path: nodeSocket(home, node), name: node }, method, params, { timeoutMs, ...(signal ? { signal } : {}) });
}

/** Parses repeated `k=v` flags into attributes; throws InvalidInputError naming a malformed one. */
export function parseAttributeFlags(values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new InvalidInputError('cli', `invalid attribute '${value}': use KEY=VALUE`);
    const key = value.slice(0, eq);
    if (Object.hasOwn(out, key)) throw new InvalidInputError('cli', `attribute '${key}' is given twice`);
    out[key] = value.slice(eq + 1);
  }
  return out;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `90s`, `10m`, `2h`, `7d` (a bare number is seconds) into milliseconds, up to 366 days. */
export function parseLongDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!) : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 366 * UNITS.d!) throw new InvalidInputError('cli', `invalid duration '${text}': use e.g. 30s, 10m, 2h, 7d`);
  return ms;
}

/** `--since`: an ISO 8601 time, or a duration meaning that long before `now` (ms since the epoch). */
export function parseSince(text: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)?$/.test(text.trim())) return now - parseLongDuration(text);
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new InvalidInputError('cli', `invalid --since '${text}': use an ISO time (2024-05-01T12:00:00Z) or a duration (15m, 2h, 7d)`);
  return t;
}
