import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError, NotFoundError } from '../../core/errors.js';
import { decodePresentedCredential, type PresentedCredential } from '../../core/credential/credential.js';
import { Identity, type IdentityJSON } from '../../core/identity/identity.js';
import type { Home } from './home.js';
import { withFileLock } from './file-lock.js';
import { isObject, readJsonFile, writeJsonFileAtomic } from './json-file.js';
import { ensurePrivateDir, jsonFileNames, recordPath, validateRegistryName } from './registry-files.js';

/** A member's role in a project. */
export type ProjectRole = 'admin' | 'enroller' | 'member';

/**
 * The handshake check for a channel a member opens to its project node: the responder
 * must be the project's authority (the identifier in the project record), so a node that
 * took over the project's address cannot terminate the channel.
 */
export function answeredByProjectAuthority(project: ProjectRecord): (peer: { readonly identifier: string }) => boolean {
  const expected = project.authorityIdentifier;
  return (peer) => peer.identifier === expected;
}

/** The routes a node tries for `project`, in order: its `route`, then the other replicas' routes. */
export function projectRoutes(project: Pick<ProjectRecord, 'route' | 'routes'>): string[] {
  return [project.route, ...(project.routes ?? []).filter((r) => r !== project.route)];
}

/** A project this home belongs to, kept in `<home>/projects/<name>.json` (0600). */
export interface ProjectRecord {
  readonly version: 1;
  readonly name: string;
  /** Route to the project node, e.g. `/ip4/127.0.0.1/tcp/4000`. */
  readonly route: string;
  /** Route to the project node over WebSocket, when the project has one (`project enroll --ws` uses it). */
  readonly wsRoute?: string;
  /** Route to the project node over UDP, when the project has one (`project enroll --udp` uses it). */
  readonly udpRoute?: string;
  /**
   * Routes of all the project's replicas, when it has several (`route` is the one this home
   * connects to first); the node reconnects to another when one is lost.
   */
  readonly routes?: readonly string[];
  /** The authority's public identity (no key handle). */
  readonly authority: IdentityJSON;
  readonly authorityIdentifier: string;
  readonly role?: ProjectRole;
  /** Base64 of encodePresentedCredential: the member's latest credential. */
  readonly credential?: string;
  /** The node of this home that belongs to the project. */
  readonly node?: string;
  /** Set when the authority said this identity is no longer a member (its node stopped asking for credentials). */
  readonly membership?: { readonly state: 'not-a-member'; readonly since: string; readonly reason: string };
  readonly createdAt: string;
}

function projectsDir(home: Home): string {
  return join(home.root, 'projects');
}

/** Checks a record's shape and its authority identity (fully verified); throws InvalidInputError. */
export function checkProjectRecord(value: unknown, where = 'project record'): ProjectRecord {
  if (!isObject(value) || typeof value.name !== 'string' || typeof value.route !== 'string' || !isObject(value.authority)
    || typeof value.authorityIdentifier !== 'string') {
    throw new InvalidInputError('cli', `${where} is not a project record`);
  }
  validateRegistryName('project', value.name);
  if (value.role !== undefined && value.role !== 'admin' && value.role !== 'enroller' && value.role !== 'member') {
    throw new InvalidInputError('cli', `${where}: role must be admin, enroller or member`);
  }
  if (value.credential !== undefined && typeof value.credential !== 'string') throw new InvalidInputError('cli', `${where}: credential must be base64 text`);
  if (value.wsRoute !== undefined && typeof value.wsRoute !== 'string') throw new InvalidInputError('cli', `${where}: wsRoute must be route text`);
  if (value.udpRoute !== undefined && typeof value.udpRoute !== 'string') throw new InvalidInputError('cli', `${where}: udpRoute must be route text`);
  if (value.node !== undefined && typeof value.node !== 'string') throw new InvalidInputError('cli', `${where}: node must be a node name`);
  if (value.routes !== undefined && (!Array.isArray(value.routes) || value.routes.some((r) => typeof r !== 'string'))) throw new InvalidInputError('cli', `${where}: routes must be a list of route texts`);
  const authority = value.authority as unknown as IdentityJSON;
  if (authority.identifier !== value.authorityIdentifier) throw new InvalidInputError('cli', `${where}: authorityIdentifier does not match the authority identity`);
  return {
    version: 1, name: value.name, route: value.route, ...(value.wsRoute !== undefined ? { wsRoute: value.wsRoute as string } : {}),
    ...(value.udpRoute !== undefined ? { udpRoute: value.udpRoute as string } : {}),
    ...(Array.isArray(value.routes) && value.routes.length > 0 ? { routes: value.routes as string[] } : {}), authority: { identifier: authority.identifier, changeHistory: authority.changeHistory },
    authorityIdentifier: value.authorityIdentifier,
    ...(value.role !== undefined ? { role: value.role as ProjectRole } : {}),
    ...(value.credential !== undefined ? { credential: value.credential as string } : {}),
    ...(value.node !== undefined ? { node: value.node as string } : {}),
    ...(isObject(value.membership) && value.membership.state === 'not-a-member' && typeof value.membership.since === 'string' && typeof value.membership.reason === 'string'
      ? { membership: { state: 'not-a-member' as const, since: value.membership.since, reason: value.membership.reason } } : {}),
    createdAt: typeof value.createdAt === 'string' ? value.createdAt : new Date().toISOString(),
  };
}

/** Names of the home's projects, sorted. */
export function projectNames(home: Home): string[] {
  return jsonFileNames(projectsDir(home));
}

/** Reads project `name`; NotFoundError when missing. */
export function readProject(home: Home, name: string): ProjectRecord {
  const path = recordPath(projectsDir(home), 'project', name);
  const value = readJsonFile(path);
  if (value === undefined) throw new NotFoundError('cli', `project '${name}' does not exist`);
  return checkProjectRecord(value, `'${path}'`);
}

/** Every project record of the home. */
export function listProjects(home: Home): ProjectRecord[] {
  return projectNames(home).map((n) => readProject(home, n));
}

/**
 * Writes (creates or replaces) a project record atomically; its authority identity must
 * verify. The home's first project becomes its default project. Product code writes
 * through node-projects.ts (one project per node), never through this directly.
 */
export function writeProject(home: Home, record: ProjectRecord): ProjectRecord {
  const checked = checkProjectRecord(record);
  Identity.fromJSON(checked.authority);
  home.ensure();
  ensurePrivateDir(projectsDir(home));
  const path = recordPath(projectsDir(home), 'project', checked.name);
  withFileLock(path, () => writeJsonFileAtomic(path, checked));
  if (defaultProjectName(home) === undefined) home.updateConfig((c) => ({ ...c, defaultProject: checked.name }));
  return checked;
}

/**
 * Read-modify-write of project `name` under its file's lock: `change` gets the current
 * record and returns the new one (both CLI runs and nodes write project records).
 * NotFoundError when the project does not exist.
 */
export function updateProject(home: Home, name: string, change: (record: ProjectRecord) => ProjectRecord): ProjectRecord {
  return withFileLock(recordPath(projectsDir(home), 'project', name), () => writeProject(home, change(readProject(home, name))));
}

/** Removes project `name`; clears the default project when it was that one. */
export function deleteProject(home: Home, name: string): void {
  readProject(home, name);
  rmSync(recordPath(projectsDir(home), 'project', name), { force: true });
  if (home.readConfig().defaultProject === name) {
    const next = projectNames(home)[0];
    home.updateConfig(({ defaultProject: _p, ...rest }) => ({ ...rest, version: 1, ...(next ? { defaultProject: next } : {}) }));
  }
}

/** The default project's name (home config `defaultProject`), if that project exists. */
export function defaultProjectName(home: Home): string | undefined {
  const name = home.readConfig().defaultProject;
  if (typeof name !== 'string') return undefined;
  return projectNames(home).includes(name) ? name : undefined;
}

/** Makes project `name` the home's default project. */
export function setDefaultProject(home: Home, name: string): void {
  readProject(home, name);
  home.updateConfig((c) => ({ ...c, defaultProject: name }));
}

/** The project node `node` belongs to (the first by name), if any (see node-projects.ts: at most one). */
export function projectOfNode(home: Home, node: string): ProjectRecord | undefined {
  return listProjects(home).find((p) => p.node === node);
}

/** The member credential kept in a project record, decoded (undefined when none). */
export function projectCredential(record: ProjectRecord): PresentedCredential | undefined {
  if (record.credential === undefined) return undefined;
  return decodePresentedCredential(new Uint8Array(Buffer.from(record.credential, 'base64')));
}
