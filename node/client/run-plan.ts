import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PolicyMode, PolicyScope } from '../../policy/policy.js';
import type { RelayRecord } from '../api/relay-view.js';
import type { TcpInletRecord } from '../api/tcp-inlet-view.js';
import type { TcpOutletRecord } from '../api/tcp-outlet-view.js';
import type { Home } from '../home/home.js';
import { isObject } from '../home/json-file.js';
import { readNodeConfig } from '../home/node-config.js';
import type { JsonPath } from '../home/json-schema-check.js';
import type { RunConfig, RunInlet, RunOutlet, RunPolicy } from '../home/run-config.js';
import { callNodeSocket, nodeSocket } from './node-call.js';

/** One step of a plan: what `symbolon run` creates, changes or removes. */
export interface PlannedChange {
  readonly action: 'create' | 'change' | 'remove';
  /** `identity`, `node`, `project`, `enrollment`, `tcp-outlet`, `tcp-inlet`, `relay`, `policy`. */
  readonly kind: string;
  /** The thing's name: an identity or node name, a listen address, a relay name, a policy scope. */
  readonly name: string;
  /** What differs or what it will be, for humans (never a secret). */
  readonly detail?: string;
  /** The key in the run file it comes from (absent for removals). */
  readonly key?: JsonPath;
}

/** What a node runs now, as far as a run file describes it. */
export interface NodeSnapshot {
  readonly outlets: readonly TcpOutletRecord[];
  readonly inlets: readonly TcpInletRecord[];
  readonly relays: readonly RelayRecord[];
  readonly policies: ReadonlyArray<{ readonly scope: PolicyScope; readonly expression: string; readonly mode?: PolicyMode }>;
}

/** A snapshot of a node that holds nothing (a node that does not exist yet). */
export const EMPTY_SNAPSHOT: NodeSnapshot = { outlets: [], inlets: [], relays: [], policies: [] };

/** Asks running node `name` what it runs (the node API's list methods). */
export async function liveSnapshot(home: Home, name: string, { signal }: { signal?: AbortSignal } = {}): Promise<NodeSnapshot> {
  const socket = { path: nodeSocket(home, name), name };
  const options = { timeoutMs: 10_000, ...(signal ? { signal } : {}) };
  const [outlets, inlets, relays, policies] = await Promise.all([
    callNodeSocket(socket, 'tcp-outlet.list', {}, options),
    callNodeSocket(socket, 'tcp-inlet.list', {}, options),
    callNodeSocket(socket, 'relay.list', {}, options),
    callNodeSocket(socket, 'policy.list', {}, options),
  ]);
  return {
    outlets: outlets.outlets, inlets: inlets.inlets, relays: relays.relays,
    policies: policies.policies.map((p) => ({ scope: p.scope, expression: p.expression, mode: p.mode })),
  };
}

function records<T>(value: unknown, field: string, ok: (r: Record<string, unknown>) => boolean): T[] {
  if (!isObject(value) || !Array.isArray(value[field])) return [];
  return (value[field] as unknown[]).filter((r): r is Record<string, unknown> => isObject(r) && ok(r)) as T[];
}

/**
 * What stopped node `name` will run when it starts, read from its persisted configuration
 * (the sections its services restore from, and its policy file); for `--dry-run` only.
 */
export function persistedSnapshot(home: Home, name: string): NodeSnapshot {
  const { sections } = readNodeConfig(home, name);
  let policies: NodeSnapshot['policies'] = [];
  try {
    const stored = JSON.parse(readFileSync(join(home.node(name).dir, 'policies.json'), 'utf8')) as unknown;
    policies = records<{ scope: PolicyScope; expression: string; mode?: PolicyMode }>(stored, 'policies', (p) => isObject(p.scope) && typeof p.expression === 'string')
      .map((p) => ({ scope: p.scope, expression: p.expression, mode: p.mode === 'audit' ? 'audit' : 'enforce' }));
  } catch {
    // no policies yet
  }
  return {
    outlets: records(sections['tcp-outlets'], 'outlets', (r) => typeof r.address === 'string' && typeof r.target === 'string'),
    inlets: records(sections['tcp-inlets'], 'inlets', (r) => typeof r.listen === 'string' && typeof r.outlet === 'string'),
    relays: records(sections.relays, 'relays', (r) => typeof r.name === 'string'),
    policies,
  };
}

/** `resource NAME` / `resource-type TYPE`, for a node's policy scope or a run file's. */
export function scopeName(scope: PolicyScope | RunPolicy['scope']): string {
  if ('kind' in scope) return scope.kind === 'resource' ? `resource ${scope.name}` : `resource-type ${scope.type}`;
  return 'resource' in scope ? `resource ${scope.resource}` : `resource-type ${scope.resourceType}`;
}

function differences(pairs: ReadonlyArray<readonly [string, string | undefined, string | undefined]>): string | undefined {
  const changed = pairs.filter(([, a, b]) => a !== b).map(([k, a, b]) => `${k}: ${a ?? '-'} -> ${b ?? '-'}`);
  return changed.length > 0 ? changed.join(', ') : undefined;
}

function outletDetail(o: RunOutlet): string {
  return `to ${o.target}${o.allow !== undefined ? `, allow ${o.allow}` : ''}`;
}

function inletDetail(t: RunInlet): string {
  return `${t.via !== undefined ? `via ${t.via}` : `to ${t.to}`}${t.outlet !== 'outlet' ? `, outlet ${t.outlet}` : ''}${t.allow !== undefined ? `, allow ${t.allow}` : ''}`;
}

/**
 * The changes that bring a node holding `now` to what `config` describes: outlets by
 * address, inlets by listen address, relays by name, policies by scope. Whatever the node
 * has that the file does not list is removed, except the resource policies that are the
 * `allow` of an inlet or outlet (they come and go with it). Removals come
 * first, in the order inlets, relays, outlets, policies; then policies, outlets, relays,
 * inlets are created or changed.
 */
export function planNodeChanges(config: RunConfig, now: NodeSnapshot): PlannedChange[] {
  const removals: PlannedChange[] = [];
  const additions: PlannedChange[] = [];

  const wantedInlets = new Map(config.inlets.map((t) => [t.listen, t]));
  const wantedOutlets = new Map(config.outlets.map((o) => [o.address, o]));
  const wantedRelays = new Set(config.relays);
  const wantedPolicies = new Map(config.policies.map((p) => [scopeName(p.scope), p]));
  // Resource policies that are the allow of an inlet or outlet, in the file or on the node:
  // they are created, replaced and deleted with it.
  const ownedBy = new Set([...config.inlets, ...config.outlets, ...now.inlets, ...now.outlets]
    .filter((x) => x.allow !== undefined).map((x) => `resource ${'listen' in x ? x.listen : x.address}`));

  for (const t of now.inlets) if (!wantedInlets.has(t.listen)) removals.push({ action: 'remove', kind: 'tcp-inlet', name: t.listen });
  for (const r of now.relays) if (!wantedRelays.has(r.name)) removals.push({ action: 'remove', kind: 'relay', name: r.name });
  for (const o of now.outlets) if (!wantedOutlets.has(o.address)) removals.push({ action: 'remove', kind: 'tcp-outlet', name: o.address });
  for (const p of now.policies) {
    const name = scopeName(p.scope);
    if (!wantedPolicies.has(name) && !ownedBy.has(name)) removals.push({ action: 'remove', kind: 'policy', name });
  }

  for (const p of config.policies) {
    const name = scopeName(p.scope);
    const current = now.policies.find((q) => scopeName(q.scope) === name);
    if (!current) additions.push({ action: 'create', kind: 'policy', name, detail: `${p.expression}${p.mode === 'audit' ? ', mode audit' : ''}`, key: p.path });
    else {
      const diff = differences([['expression', current.expression, p.expression], ['mode', current.mode ?? 'enforce', p.mode]]);
      if (diff) additions.push({ action: 'change', kind: 'policy', name, detail: diff, key: p.path });
    }
  }
  for (const o of config.outlets) {
    const current = now.outlets.find((x) => x.address === o.address);
    if (!current) additions.push({ action: 'create', kind: 'tcp-outlet', name: o.address, detail: outletDetail(o), key: o.path });
    else {
      const diff = differences([['to', current.target, o.target], ['allow', current.allow, o.allow]]);
      if (diff) additions.push({ action: 'change', kind: 'tcp-outlet', name: o.address, detail: diff, key: o.path });
    }
  }
  for (const name of config.relays) {
    if (!now.relays.some((r) => r.name === name)) additions.push({ action: 'create', kind: 'relay', name, key: ['relays', config.relays.indexOf(name)] });
  }
  for (const t of config.inlets) {
    const current = now.inlets.find((x) => x.listen === t.listen);
    if (!current) additions.push({ action: 'create', kind: 'tcp-inlet', name: t.listen, detail: inletDetail(t), key: t.path });
    else {
      const diff = differences([['via', current.via, t.via], ['to', current.to, t.to], ['outlet', current.outlet, t.outlet], ['allow', current.allow, t.allow]]);
      if (diff) additions.push({ action: 'change', kind: 'tcp-inlet', name: t.listen, detail: diff, key: t.path });
    }
  }
  return [...removals, ...additions];
}

/** One line of a plan for humans: `+ tcp-inlet 127.0.0.1:15432 (via postgres)`. */
export function formatChange(change: PlannedChange): string {
  const sign = change.action === 'create' ? '+' : change.action === 'change' ? '~' : '-';
  return `${sign} ${change.kind} ${change.name}${change.detail !== undefined ? ` (${change.detail})` : ''}`;
}
