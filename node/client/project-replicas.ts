import { resolve } from 'node:path';
import { AlreadyExistsError, InvalidInputError, NotFoundError } from '../../core/errors.js';
import type { ReplicaList } from '../api/replica-view.js';
import type { NodeInfo } from '../api/node-info.js';
import { validateNodeName, type Home } from '../home/home.js';
import { identityNames } from '../home/identity-registry.js';
import { NodeConfigFile } from '../home/node-config.js';
import { recordProjectRoutes } from '../home/node-projects.js';
import { setConfiguredNodeIdentity } from '../home/node-security-config.js';
import { AUTHORITY_SECTION, readAuthoritySection, routeForListener, validateDatabaseUrl, type AuthoritySection } from '../home/project-node.js';
import { readProject } from '../home/project-registry.js';
import { runningPid } from '../home/node-state.js';
import { callNodeSocket, nodeSocket } from './node-call.js';
import { createNode, deleteNode, launchNode, stopNode } from './node-lifecycle.js';

/** The nodes of this home that run `project`'s authority (its first project node and its replicas), with their sections. */
export function localReplicaNodes(home: Home, project: string): Array<{ node: string; section: AuthoritySection }> {
  const out: Array<{ node: string; section: AuthoritySection }> = [];
  for (const node of home.nodeNames()) {
    let section: AuthoritySection | undefined;
    try {
      section = readAuthoritySection(new NodeConfigFile(home, node).section(AUTHORITY_SECTION));
    } catch {
      continue;
    }
    if (section?.project === project) out.push({ node, section });
  }
  return out;
}

/** What {@link addReplica} started. */
export interface AddedReplica {
  readonly node: string;
  readonly route: string;
  /** Undefined when it runs in the foreground (it has exited by now). */
  readonly info?: NodeInfo;
}

/**
 * `project replica add`: creates node `name` (default `PROJECT-rN`) running `project`'s
 * authority identity on the project's Postgres `database`, listening on `listen`, and
 * starts it; it registers itself among the replicas. Needs this home to hold the authority
 * identity (and so access to its vault) and a project node of the project (its admin and
 * database are taken from it). Records the new route in the home's project record.
 */
export async function addReplica(
  home: Home,
  { project, database, listen, name, passwordFile, foreground = false }: {
    project: string; database: string; listen: string; name?: string; passwordFile?: string; foreground?: boolean;
  },
): Promise<AddedReplica> {
  const record = readProject(home, project);
  validateDatabaseUrl(database);
  const authorityName = `${project}-authority`;
  if (!identityNames(home).includes(authorityName)) {
    throw new NotFoundError('cli', `this home has no identity '${authorityName}': add replicas from the home that holds the project's authority identity (and its vault)`);
  }
  const existing = localReplicaNodes(home, project);
  const first = existing[0];
  if (first === undefined) throw new NotFoundError('cli', `this home runs no project node of '${project}': add replicas from the home where the project was created`);
  if (first.section.database === undefined) throw new InvalidInputError('cli', `project '${project}' keeps its state in SQLite: replicas need the project on Postgres (project create --database)`);
  const route = routeForListener(listen);
  if (/\/tcp\/0$/.test(route)) throw new InvalidInputError('cli', '--listen needs a fixed port: members reach the replica at it');
  if (existing.some((e) => e.section.route === route)) throw new AlreadyExistsError('cli', `a replica of '${project}' already listens at ${route}`);
  let node = name;
  if (node === undefined) {
    for (let i = 2; node === undefined; i++) if (!home.hasNode(`${project}-r${i}`)) node = `${project}-r${i}`;
  }
  validateNodeName(node);
  if (home.hasNode(node)) throw new AlreadyExistsError('cli', `node '${node}' already exists; choose another name with --name`);
  createNode(home, node, { tcpListenerAddress: listen });
  const section: AuthoritySection = {
    project, route, admin: first.section.admin, database, replica: node,
    ...(passwordFile !== undefined ? { databasePasswordFile: resolve(passwordFile) } : {}),
  };
  try {
    setConfiguredNodeIdentity(home, node, authorityName);
    // A project node's listener admits enrollees and other replicas (see acceptsUnauthenticated).
    new NodeConfigFile(home, node).setSection(AUTHORITY_SECTION, section);
  } catch (err) {
    await deleteNode(home, node);
    throw err;
  }
  const info = await launchNode(home, node, { foreground, undo: async () => { await deleteNode(home, node); } });
  recordProjectRoutes(home, project, [record.route, ...(record.routes ?? []), ...existing.map((e) => e.section.route), route]);
  return { node, route, ...(info === undefined ? {} : { info }) };
}

/** `project replica list`: asks a running project node of this home for every replica in the database. */
export async function listReplicas(home: Home, project: string): Promise<ReplicaList> {
  return await callNodeSocket(runningReplicaNode(home, project), 'authority.replicas', {}, { timeoutMs: 15_000 });
}

/**
 * `project replica remove ID`: stops and deletes the replica's node when it is in this
 * home, then deletes its registration and relay leases from the database through another
 * running project node (its members reconnect to the others by themselves).
 */
export async function removeReplica(home: Home, project: string, id: string): Promise<{ removed: boolean; nodeDeleted: boolean }> {
  const local = localReplicaNodes(home, project).find((e) => (e.section.replica ?? e.node) === id);
  let nodeDeleted = false;
  if (local !== undefined) {
    await stopNode(home, local.node);
    await deleteNode(home, local.node);
    nodeDeleted = true;
  }
  const { removed } = await callNodeSocket(runningReplicaNode(home, project), 'authority.replica-remove', { replica: id }, { timeoutMs: 15_000 });
  if (!removed && !nodeDeleted) throw new NotFoundError('cli', `project '${project}' has no replica '${id}'`);
  if (local !== undefined) {
    const record = readProject(home, project);
    recordProjectRoutes(home, project, (record.routes ?? []).filter((r) => r !== local.section.route));
  }
  return { removed, nodeDeleted };
}

function runningReplicaNode(home: Home, project: string): { path: string; name: string } {
  const running = localReplicaNodes(home, project).find((e) => e.section.database !== undefined && runningPid(home, e.node) !== undefined);
  if (running === undefined) throw new NotFoundError('cli', `no project node of '${project}' on Postgres runs in this home (start one: symbolon node start NAME)`);
  return { path: nodeSocket(home, running.node), name: running.node };
}
