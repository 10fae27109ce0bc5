import { join } from 'node:path';
import { FilePolicyStore } from '../../policy/policy-store-file.js';
import { policyView, type PolicyView } from '../api/policy-view.js';
import type { RelayRecord } from '../api/relay-view.js';
import type { TcpInletRecord } from '../api/tcp-inlet-view.js';
import type { TcpOutletRecord } from '../api/tcp-outlet-view.js';
import type { Home } from './home.js';
import { isObject } from './json-file.js';
import type { NodeConfig } from './node-config.js';

/** Configuration section of a node's TCP inlets. */
export const TCP_INLETS_SECTION = 'tcp-inlets';
/** Configuration section of a node's TCP outlets. */
export const TCP_OUTLETS_SECTION = 'tcp-outlets';
/** Configuration section of the relays a node keeps registered. */
export const RELAYS_SECTION = 'relays';

/**
 * The TCP inlets saved in a node configuration section (the `tcp-inlets` section), well-formed
 * records only. The daemon restores them at start; read-only commands show them for a node
 * that is not running.
 */
export function savedInlets(section: unknown): TcpInletRecord[] {
  if (!isObject(section) || !Array.isArray(section.inlets)) return [];
  return section.inlets.filter((r): r is TcpInletRecord => isObject(r) && typeof r.listen === 'string' && typeof r.outlet === 'string');
}

/** The TCP outlets saved in the `tcp-outlets` section (see {@link savedInlets}). */
export function savedOutlets(section: unknown): TcpOutletRecord[] {
  if (!isObject(section) || !Array.isArray(section.outlets)) return [];
  return section.outlets.filter((o): o is TcpOutletRecord => isObject(o) && typeof o.address === 'string' && typeof o.target === 'string');
}

/** The relays saved in the `relays` section (see {@link savedInlets}). */
export function savedRelays(section: unknown): RelayRecord[] {
  if (!isObject(section) || !Array.isArray(section.relays)) return [];
  return section.relays.filter((r): r is RelayRecord => isObject(r) && typeof r.name === 'string');
}

/** What a node's configuration says it runs: inlets, outlets and relays as saved. */
export interface SavedPortals {
  readonly inlets: readonly TcpInletRecord[];
  readonly outlets: readonly TcpOutletRecord[];
  readonly relays: readonly RelayRecord[];
}

/** The inlets, outlets and relays saved in `config`. */
export function savedPortals(config: NodeConfig): SavedPortals {
  return {
    inlets: savedInlets(config.sections[TCP_INLETS_SECTION]),
    outlets: savedOutlets(config.sections[TCP_OUTLETS_SECTION]),
    relays: savedRelays(config.sections[RELAYS_SECTION]),
  };
}

/** A node's policy file (`nodes/<name>/policies.json`). */
export function policyFilePath(home: Home, name: string): string {
  return join(home.node(name).dir, 'policies.json');
}

/** The policies saved for node `name` (read only: nothing is written), as the control API shows them. */
export async function savedPolicies(home: Home, name: string, { signal }: { signal?: AbortSignal } = {}): Promise<PolicyView[]> {
  const store = await FilePolicyStore.open(policyFilePath(home, name), signal ? { signal } : {});
  return (await store.list(signal ? { signal } : {})).map(policyView);
}
