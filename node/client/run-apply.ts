import { InvalidInputError, SymbolonError } from '../../core/errors.js';
import type { Home } from '../home/home.js';
import { createIdentityRecord, defaultIdentityName, identityNames, readIdentityRecord } from '../home/identity-registry.js';
import { formatJsonPath, type JsonPath } from '../home/json-schema-check.js';
import { DEFAULT_LOG_LIMITS, formatLogSize, type LogLimits } from '../home/log-limits.js';
import { sameMetricsEndpoint, type MetricsEndpoint } from '../home/metrics-endpoint.js';
import { readNodeConfig, writeNodeConfig, type GcMode } from '../home/node-config.js';
import { addVault, listVaults } from '../home/vault-registry.js';
import { readAuthoritySection } from '../home/project-node.js';
import { projectNames, projectOfNode, readProject } from '../home/project-registry.js';
import { runningPid } from '../home/node-state.js';
import { RunConfigError, type RunConfig } from '../home/run-config.js';
import { DEFAULT_NODE_NAME } from './ensure-node.js';
import { createNode, startNode, stopNode } from './node-lifecycle.js';
import { callNodeSocket, nodeSocket } from './node-call.js';
import { EMPTY_SNAPSHOT, liveSnapshot, persistedSnapshot, planNodeChanges, type PlannedChange } from './run-plan.js';

/**
 * The steps of `symbolon run` that the project commands own (they write node security
 * settings that only the CLI layer may reach); cli/project-steps.ts provides them.
 */
export interface RunSteps {
  /** The identity node `node` is configured to run as, if set. */
  nodeIdentity(home: Home, node: string): string | undefined;
  /** Sets the identity node `node` runs as. */
  setNodeIdentity(home: Home, node: string, identity: string): void;
  /** `project create` up to the start of the project node (its configuration and the home's project record). */
  prepareProject(home: Home, spec: { name: string; listen: string; identity?: string; database?: string; log?: LogLimits; metrics?: MetricsEndpoint }): Promise<void>;
  /** Removes what prepareProject made, after the project node failed to start. */
  undoProject(home: Home, name: string): Promise<void>;
  /** Once the project node runs, the admin's node fetches its credential; returns the reason when it could not. */
  joinProject(home: Home, name: string): Promise<string | undefined>;
  /** `project enroll` of node `node` with the ticket `line`. */
  enroll(home: Home, spec: { line: string; identity?: string; node: string }): Promise<void>;
}

/** What `symbolon run` will do to the home before its node runs, and what it then does on the node. */
export interface RunPlan {
  /** The node the file describes. */
  readonly node: string;
  /** Changes to the home: identity, node, project, enrollment. */
  readonly home: readonly PlannedChange[];
  /** Changes on the node: outlets, inlets, relays, policies. */
  readonly changes: readonly PlannedChange[];
  /** True when the node must (re)start for the home changes to take effect while it runs. */
  readonly restart: boolean;
  /** Whether the node runs now. */
  readonly running: boolean;
}

function sameLimits(a: LogLimits | undefined, b: LogLimits | undefined): boolean {
  const x = a ?? DEFAULT_LOG_LIMITS;
  const y = b ?? DEFAULT_LOG_LIMITS;
  return x.maxSize === y.maxSize && x.maxFiles === y.maxFiles;
}

function limitsText(l: LogLimits): string {
  return `${formatLogSize(l.maxSize)} x ${l.maxFiles} files`;
}

function metricsText(m: MetricsEndpoint | undefined): string {
  return m === undefined ? 'none' : `${m.listen}${m.allowRemote ? ' (remote allowed)' : ''}`;
}

/** The node a run file describes in `home`. */
export function runNodeName(home: Home, config: RunConfig): string {
  return config.nodeName ?? home.defaultNode() ?? DEFAULT_NODE_NAME;
}

/**
 * Plans the home changes of `config` (reads only): the identity, the node (listener and log
 * limits), the project node, the enrollment. Throws RunConfigError, naming the key, for what
 * a file cannot converge: another identity on an existing node, a project at another
 * address or database, a vault that does not exist.
 */
export function planHome(home: Home, config: RunConfig, steps: RunSteps): { node: string; changes: PlannedChange[]; restart: boolean } {
  const fail = (path: JsonPath, detail: string): never => {
    throw new RunConfigError(config.file, formatJsonPath(path), config.lineOf(path), detail);
  };
  const node = runNodeName(home, config);
  const changes: PlannedChange[] = [];
  let restart = false;

  // Vaults first: an identity of the file may keep its key in one of them.
  for (const v of config.vaults) {
    const existing = listVaults(home).find((r) => r.name === v.name);
    if (existing === undefined) {
      changes.push({ action: 'create', kind: 'vault', name: v.name, detail: `kind ${v.type}`, key: v.path });
    } else if (existing.type !== v.type || stableJson(existing.config) !== stableJson(v.config)) {
      fail(v.path, `vault '${v.name}' exists with other settings (${existing.type}); a vault's settings do not change: delete it (symbolon vault delete ${v.name}) or use another name`);
    }
  }
  const gcDiff = (current: GcMode | undefined): string | undefined =>
    (config.gc !== undefined && (current ?? 'auto') !== config.gc ? `gc: ${current ?? 'auto'} -> ${config.gc}` : undefined);

  const identity = config.identity;
  if (identity && identityNames(home).includes(identity.name)) {
    const record = readIdentityRecord(home, identity.name);
    if (identity.vault !== undefined && record.vault !== identity.vault) fail(['identity', 'vault'], `identity '${identity.name}' exists with its key in vault '${record.vault}'`);
  } else if (identity) {
    changes.push({ action: 'create', kind: 'identity', name: identity.name, detail: `vault ${identity.vault ?? 'default'}`, key: ['identity'] });
  }

  if (config.project) {
    const p = config.project;
    if (projectNames(home).includes(p.name) && home.hasNode(p.name)) {
      const nodeConfig = readNodeConfig(home, p.name);
      const authority = readAuthoritySection(nodeConfig.sections.authority);
      if (!authority) fail(['project', 'name'], `node '${p.name}' of this home is no project node`);
      if (nodeConfig.tcpListenerAddress !== p.listen) fail(['project', 'listen'], `project '${p.name}' listens on ${nodeConfig.tcpListenerAddress}; members reach it there, so it cannot move (create a new project)`);
      if (authority!.database !== p.database) fail(['project', 'database'], `project '${p.name}' keeps its state in ${authority!.database ? 'another database' : 'SQLite'}; it cannot move`);
      const diffs: string[] = [];
      if (config.log && !sameLimits(nodeConfig.log, config.log)) diffs.push(`log: ${limitsText(nodeConfig.log ?? DEFAULT_LOG_LIMITS)} -> ${limitsText(config.log)}`);
      if (!sameMetricsEndpoint(nodeConfig.metrics, config.metrics)) diffs.push(`metrics: ${metricsText(nodeConfig.metrics)} -> ${metricsText(config.metrics)}`);
      const gc = gcDiff(nodeConfig.gc);
      if (gc !== undefined) diffs.push(gc);
      if (diffs.length > 0) {
        changes.push({ action: 'change', kind: 'node', name: p.name, detail: diffs.join(', '), key: ['node'] });
        restart = true;
      }
    } else if (projectNames(home).includes(p.name) || home.hasNode(p.name)) {
      fail(['project', 'name'], `this home already has a ${home.hasNode(p.name) ? 'node' : 'project'} named '${p.name}'`);
    } else {
      changes.push({ action: 'create', kind: 'project', name: p.name, detail: `listen ${p.listen}, ${p.database ? 'postgres' : 'sqlite'}${config.metrics ? `, metrics ${metricsText(config.metrics)}` : ''}${config.gc ? `, gc ${config.gc}` : ''}`, key: ['project'] });
    }
    return { node, changes, restart };
  }

  if (!home.hasNode(node)) {
    changes.push({
      action: 'create', kind: 'node', name: node, key: ['node'],
      detail: `listen ${config.listen ?? '127.0.0.1:0'}${config.log ? `, log ${limitsText(config.log)}` : ''}${config.metrics ? `, metrics ${metricsText(config.metrics)}` : ''}${config.gc ? `, gc ${config.gc}` : ''}`,
    });
  } else {
    const current = readNodeConfig(home, node);
    const runsAs = steps.nodeIdentity(home, node) ?? (identityNames(home).length > 0 ? defaultIdentityName(home) : undefined);
    if (identity && runsAs !== undefined && runsAs !== identity.name) fail(['identity', 'name'], `node '${node}' runs identity '${runsAs}'; a node keeps its identity (use another node name)`);
    const diffs: string[] = [];
    if (config.listen !== undefined && config.listen !== current.tcpListenerAddress) diffs.push(`listen: ${current.tcpListenerAddress} -> ${config.listen}`);
    if (config.log && !sameLimits(current.log, config.log)) diffs.push(`log: ${limitsText(current.log ?? DEFAULT_LOG_LIMITS)} -> ${limitsText(config.log)}`);
    if (!sameMetricsEndpoint(current.metrics, config.metrics)) diffs.push(`metrics: ${metricsText(current.metrics)} -> ${metricsText(config.metrics)}`);
    const gc = gcDiff(current.gc);
    if (gc !== undefined) diffs.push(gc);
    if (diffs.length > 0) {
      changes.push({ action: 'change', kind: 'node', name: node, detail: diffs.join(', '), key: ['node'] });
      restart = true;
    }
  }

  const enrollment = config.enrollment;
  if (enrollment) {
    const member = home.hasNode(node) ? projectOfNode(home, node) : undefined;
    if (enrollment.ticket) {
      const { projectName } = enrollment.ticket.decoded;
      const existing = projectNames(home).includes(projectName) ? readProject(home, projectName) : undefined;
      const done = existing !== undefined && existing.node === node && existing.credential !== undefined;
      if (!done) {
        if (enrollment.ticket.decoded.expiresAt <= Date.now()) fail(enrollment.path, `the ticket for project '${projectName}' expired at ${new Date(enrollment.ticket.decoded.expiresAt).toISOString()}`);
        changes.push({ action: 'create', kind: 'enrollment', name: projectName, detail: `node ${node}`, key: enrollment.path });
      }
    } else if (!member) {
      fail(enrollment.path, `the ticket is empty and node '${node}' belongs to no project yet`);
    }
  }
  return { node, changes, restart };
}

/** Plans `config` against `home` without changing anything (`--dry-run`). */
export async function planRun(home: Home, config: RunConfig, steps: RunSteps, { signal }: { signal?: AbortSignal } = {}): Promise<RunPlan> {
  const { node, changes, restart } = planHome(home, config, steps);
  const running = home.hasNode(node) && runningPid(home, node) !== undefined;
  const snapshot = !home.hasNode(node) ? EMPTY_SNAPSHOT : running ? await liveSnapshot(home, node, signal ? { signal } : {}) : persistedSnapshot(home, node);
  return { node, home: changes, changes: planNodeChanges(config, snapshot), restart: restart && running, running };
}

/** Reports each change as it is made. */
export type ChangeReporter = (change: PlannedChange) => void;

/**
 * Makes the home changes of `config` (identity, node configuration, project node
 * configuration); the node is not started. Returns the home plan it carried out.
 */
export async function applyHome(home: Home, config: RunConfig, steps: RunSteps, report: ChangeReporter): Promise<{ node: string; restart: boolean; changes: PlannedChange[] }> {
  const plan = planHome(home, config, steps);
  for (const change of plan.changes) {
    if (change.kind === 'vault') {
      const v = config.vaults.find((x) => x.name === change.name)!;
      try {
        addVault(home, v.name, v.type, v.config);
      } catch (err) {
        throw atKey(config, change, err);
      }
    } else if (change.kind === 'identity') {
      await createIdentityRecord(home, config.identity!.name, config.identity!.vault !== undefined ? { vault: config.identity!.vault } : {});
      if (home.readConfig().defaultIdentity === undefined && identityNames(home).length === 1) home.updateConfig((c) => ({ ...c, defaultIdentity: config.identity!.name }));
    } else if (change.kind === 'project') {
      const p = config.project!;
      await steps.prepareProject(home, {
        name: p.name, listen: p.listen, ...(config.identity ? { identity: config.identity.name } : {}),
        ...(p.database !== undefined ? { database: p.database } : {}), ...(config.log ? { log: config.log } : {}),
        ...(config.metrics ? { metrics: config.metrics } : {}),
      });
      if (config.gc !== undefined) writeNodeConfig(home, { ...readNodeConfig(home, p.name), gc: config.gc });
    } else if (change.kind === 'node' && change.action === 'create') {
      createNode(home, plan.node, {
        ...(config.listen !== undefined ? { tcpListenerAddress: config.listen } : {}), ...(config.log ? { log: config.log } : {}),
        ...(config.metrics ? { metrics: config.metrics } : {}), ...(config.gc !== undefined ? { gc: config.gc } : {}),
      });
      if (config.identity) steps.setNodeIdentity(home, plan.node, config.identity.name);
    } else if (change.kind === 'node') {
      const { metrics: _old, ...current } = readNodeConfig(home, plan.node);
      writeNodeConfig(home, {
        ...current, ...(config.listen !== undefined && !config.project ? { tcpListenerAddress: config.listen } : {}), ...(config.log ? { log: config.log } : {}),
        ...(config.metrics ? { metrics: config.metrics } : {}), ...(config.gc !== undefined ? { gc: config.gc } : {}),
      });
    } else {
      continue; // the enrollment needs the running node: applyNode
    }
    report(change);
  }
  return plan;
}

/** Wraps a failure of a change with the file, key and line it comes from. */
function atKey(config: RunConfig, change: PlannedChange, err: unknown): unknown {
  if (change.key === undefined || !(err instanceof SymbolonError)) return err;
  const wrapped = new RunConfigError(config.file, formatJsonPath(change.key), config.lineOf(change.key), err.message, { cause: err });
  // Keep the kind of the failure (an unreachable relay stays an I/O error).
  Object.defineProperty(wrapped, 'kind', { value: err.kind });
  Object.defineProperty(wrapped, 'origin', { value: err.origin });
  return wrapped;
}

/**
 * With node `node` running: enrolls it when the file asks for it, then brings its outlets,
 * inlets, relays and policies to the file's (see planNodeChanges), reporting each change.
 * Returns the changes made.
 */
export async function applyNode(home: Home, node: string, config: RunConfig, steps: RunSteps, report: ChangeReporter, { signal }: { signal?: AbortSignal } = {}): Promise<PlannedChange[]> {
  const made: PlannedChange[] = [];
  const enrollment = planHome(home, config, steps).changes.find((c) => c.kind === 'enrollment');
  if (enrollment) {
    try {
      await steps.enroll(home, { line: config.enrollment!.ticket!.line, node, ...(config.identity ? { identity: config.identity.name } : {}) });
    } catch (err) {
      throw atKey(config, enrollment, err);
    }
    report(enrollment);
    made.push(enrollment);
  }
  const socket = { path: nodeSocket(home, node), name: node };
  const options = { timeoutMs: 30_000, ...(signal ? { signal } : {}) };
  const changes = planNodeChanges(config, await liveSnapshot(home, node, signal ? { signal } : {}));
  for (const change of changes) {
    try {
      await applyChange(config, change, (method, params) => callNodeSocket(socket, method as never, params as never, options));
    } catch (err) {
      throw atKey(config, change, err);
    }
    report(change);
    made.push(change);
  }
  return made;
}

type Call = (method: string, params: Record<string, unknown>) => Promise<unknown>;

async function applyChange(config: RunConfig, change: PlannedChange, call: Call): Promise<void> {
  switch (change.kind) {
    case 'tcp-inlet': {
      if (change.action !== 'create') await call('tcp-inlet.delete', { name: change.name });
      if (change.action === 'remove') return;
      const t = config.inlets.find((x) => x.listen === change.name)!;
      await call('tcp-inlet.create', {
        from: t.listen, outlet: t.outlet, ...(t.via !== undefined ? { via: t.via } : {}), ...(t.to !== undefined ? { to: t.to } : {}),
        ...(t.allow !== undefined ? { allow: t.allow } : {}),
      });
      return;
    }
    case 'tcp-outlet': {
      if (change.action !== 'create') await call('tcp-outlet.delete', { address: change.name });
      if (change.action === 'remove') return;
      const o = config.outlets.find((x) => x.address === change.name)!;
      await call('tcp-outlet.create', { target: o.target, address: o.address, ...(o.allow !== undefined ? { allow: o.allow } : {}) });
      return;
    }
    case 'relay':
      if (change.action === 'remove') await call('relay.delete', { name: change.name });
      else await call('relay.create', { name: change.name });
      return;
    case 'policy': {
      const [word, ...rest] = change.name.split(' ');
      const scope = word === 'resource' ? { resource: rest.join(' ') } : { resourceType: rest.join(' ') };
      if (change.action === 'remove') await call('policy.delete', scope);
      else {
        const p = config.policies.find((q) => q.key === formatJsonPath(change.key!))!;
        await call('policy.create', { ...scope, expression: p.expression, mode: p.mode });
      }
      return;
    }
    default:
      throw new InvalidInputError('cli', `unknown change ${change.kind}`);
  }
}

/**
 * Starts node `node` in the background for `symbolon run --background`: restarts it when
 * `restart` (its listener, log limits or metrics endpoint changed), starts it when stopped, leaves it
 * running otherwise. Returns whether it was (re)started.
 */
export async function ensureBackgroundNode(home: Home, node: string, restart: boolean): Promise<boolean> {
  const running = runningPid(home, node) !== undefined;
  if (running && !restart) return false;
  if (running) await stopNode(home, node);
  await startNode(home, node);
  return true;
}

/** JSON with sorted keys, to compare configs whatever their key order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
