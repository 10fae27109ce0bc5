import { encodePresentedCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { InvalidInputError } from '../../core/errors.js';
import { Identity } from '../../core/identity/identity.js';
import { trustScope, type TrustedProject, type TrustScope } from '../../policy/trust-scope.js';
import type { Home } from './home.js';
import { configuredTrust } from './node-security-config.js';
import { deleteProject, listProjects, readProject, updateProject, writeProject, type ProjectRecord, type ProjectRole } from './project-registry.js';

/**
 * Which projects a node belongs to and whose authorities it trusts, and the one writer of
 * the home's project files (`projects/<name>.json`): `project create` and `project enroll`
 * record a project through here, the node records its role and credential through here,
 * `project delete` forgets one through here. A node belongs to at most one project, so the
 * credential it presents is always its own project's and never shows membership elsewhere.
 */

/** The projects node `node` belongs to (records naming it), by name. */
export function projectsOfNode(home: Home, node: string): ProjectRecord[] {
  return listProjects(home).filter((p) => p.node === node);
}

/** Throws InvalidInputError when node `node` already belongs to a project other than `project`. */
export function assertNodeJoinsOnlyOne(home: Home, node: string, project: string): void {
  const other = projectsOfNode(home, node).find((p) => p.name !== project);
  if (other !== undefined) {
    throw new InvalidInputError('cli', `node '${node}' already belongs to project '${other.name}': a node belongs to one project (its credentials stay apart); join '${project}' with another node (--node NAME)`);
  }
}

/**
 * Throws InvalidInputError when this home already joined project `existing` with another
 * node that still exists: a home keeps one member node per project (the record holds that
 * node's route, role and credential), so enrolling a second node would silently take the
 * project away from the first one (it would no longer trust the authority after a restart).
 */
export function assertProjectHasNoOtherNode(home: Home, existing: ProjectRecord | undefined, node: string): void {
  if (existing?.node === undefined || existing.node === node || !home.hasNode(existing.node)) return;
  throw new InvalidInputError('cli', `this home's node '${existing.node}' is already the member of project '${existing.name}': a home keeps one member node per project; enroll node '${node}' from a home of its own (SYMBOLON_HOME=DIR), or delete node '${existing.node}' first`);
}

/** Records a project this home joins (`project create`, `project enroll`): one project per node. */
export function recordProject(home: Home, record: ProjectRecord): ProjectRecord {
  if (record.node !== undefined) assertNodeJoinsOnlyOne(home, record.node, record.name);
  return writeProject(home, record);
}

/**
 * Records the role the project's authority reports for this home, and the node that belongs
 * to the project; a member again, so a `not-a-member` state is cleared.
 */
export function recordMembership(home: Home, project: string, role: ProjectRole, node: string): ProjectRecord {
  assertNodeJoinsOnlyOne(home, node, project);
  return updateProject(home, project, ({ membership: _was, ...record }) => ({ ...record, role, node }));
}

/** Records (or, with undefined, clears) that the authority no longer counts this home a member of `project`. */
export function recordMembershipState(home: Home, project: string, membership: ProjectRecord['membership']): ProjectRecord {
  return updateProject(home, project, ({ membership: _old, ...record }) => (membership === undefined ? record : { ...record, membership }));
}

/** Keeps the node's latest credential from `project` in its record (undefined removes it). */
export function recordCredential(home: Home, project: string, credential: PresentedCredential | undefined): ProjectRecord {
  return updateProject(home, project, ({ credential: _old, ...rest }) => (credential ? { ...rest, credential: Buffer.from(encodePresentedCredential(credential)).toString('base64') } : rest));
}

/** Records the routes of `project`'s replicas (the record's own `route` stays first to try). */
export function recordProjectRoutes(home: Home, project: string, routes: readonly string[]): ProjectRecord {
  return updateProject(home, project, ({ routes: _old, ...record }) => {
    const others = [...new Set(routes)].filter((r) => r !== record.route);
    return others.length === 0 ? record : { ...record, routes: [record.route, ...others] };
  });
}

/**
 * Records the replica routes `project`'s authority served to this node (`served`, the
 * answering replica first): they replace the record's `routes`, so a replica added since
 * the ticket is tried on failover and a removed one is no longer. The record's `route`
 * stays first to try unless it was a replica route the project no longer serves; then the
 * answering replica's route takes its place. A `route` that was never a replica route
 * (another address of the project) is kept. A record whose `route` is its WebSocket or UDP
 * route is left alone. Writes only when something changed; returns the record as it is now.
 */
export function recordServedRoutes(home: Home, project: string, served: readonly string[]): ProjectRecord {
  const current = readProject(home, project);
  const next = servedRoutesRecord(current, served);
  if (sameRoutes(current, next)) return current;
  return updateProject(home, project, (record) => servedRoutesRecord(record, served));
}

function servedRoutesRecord(record: ProjectRecord, served: readonly string[]): ProjectRecord {
  const unique = [...new Set(served)];
  // A member that reaches the project over WebSocket or UDP chose that transport (a proxy, a
  // firewall): replica routes are TCP routes it does not use (as with its ticket's).
  if (unique.length === 0 || record.route === record.wsRoute || record.route === record.udpRoute) return record;
  const { routes: old, ...rest } = record;
  const wasReplica = old === undefined ? unique.length > 1 || unique[0] === record.route : old.includes(record.route);
  const route = unique.includes(record.route) || !wasReplica ? record.route : unique[0]!;
  const others = unique.filter((r) => r !== route);
  return others.length === 0 ? { ...rest, route } : { ...rest, route, routes: [route, ...others] };
}

function sameRoutes(a: ProjectRecord, b: ProjectRecord): boolean {
  return a.route === b.route && JSON.stringify(a.routes ?? []) === JSON.stringify(b.routes ?? []);
}

/** Forgets project `name` (`project delete`, or undoing a failed create or enroll). */
export function forgetProject(home: Home, name: string): void {
  deleteProject(home, name);
}

/** What a node trusts: the scope its policies decide in, and the authorities its channels verify credentials against. */
export interface NodeTrust {
  readonly scope: TrustScope;
  /** Trusted authority identities by identifier. */
  readonly authorities: ReadonlyMap<string, Identity>;
  /** Projects named in `trust` that the home does not hold (or whose authority no longer verifies). */
  readonly missing: readonly string[];
}

/**
 * The trust of node `node`: its own project (the record naming it; for a project node, also
 * the project it is the authority of, vouched for by `self`) and the projects listed in its
 * `trust` setting. No other project of the home counts.
 */
export function nodeTrust(home: Home, node: string, own?: { readonly project: string; readonly authority: Identity }): NodeTrust {
  const projects: TrustedProject[] = [];
  const authorities = new Map<string, Identity>();
  const missing: string[] = [];
  const add = (name: string, identity: Identity, isOwn: boolean): void => {
    projects.push({ name, authority: identity.identifier, own: isOwn });
    if (!authorities.has(identity.identifier)) authorities.set(identity.identifier, identity);
  };
  if (own !== undefined) add(own.project, own.authority, true);
  const records = listProjects(home);
  for (const record of records) {
    if (record.node !== node) continue;
    try {
      add(record.name, Identity.fromJSON(record.authority), true);
    } catch {
      missing.push(record.name);
    }
  }
  for (const name of configuredTrust(home, node)) {
    const record = records.find((r) => r.name === name);
    try {
      if (record === undefined) throw new Error('no such project');
      add(record.name, Identity.fromJSON(record.authority), false);
    } catch {
      missing.push(name);
    }
  }
  return { scope: trustScope(projects), authorities, missing };
}
