import { resolve } from 'node:path';
import { AlreadyExistsError, ExpiredError, InvalidInputError, SymbolonError } from '../core/errors.js';
import { importIdentity } from '../core/identity/identity.js';
import { nowSeconds } from '../core/identity/seconds.js';
import { decodeEnrollmentTicket } from '../authority/enrollment-ticket.js';
import type { MembershipView } from '../node/api/project-views.js';
import { DEFAULT_NODE_NAME } from '../node/client/ensure-node.js';
import { createNode, deleteNode, stopNode } from '../node/client/node-lifecycle.js';
import { callProjectNode, ensureRunning } from '../node/client/project-setup.js';
import type { RunSteps } from '../node/client/run-apply.js';
import { configuredNodeIdentity, setConfiguredNodeIdentity } from '../node/home/node-security-config.js';
import { setAcceptUnauthenticated } from '../node/daemon/services/secure-channels.js';
import { validateNodeName, type Home } from '../node/home/home.js';
import {
  createIdentityRecord, defaultIdentityName, deleteIdentityRecord, ensureIdentity, identityNames, loadIdentity, nodesUsingIdentity, readIdentityRecord, type IdentityRecord,
} from '../node/home/identity-registry.js';
import type { SigningKeyType } from '../core/vault/keys.js';
import { runningPid } from '../node/home/node-state.js';
import type { LogLimits } from '../node/home/log-limits.js';
import type { MetricsEndpoint } from '../node/home/metrics-endpoint.js';
import { NodeConfigFile, validateUdpListenerAddress } from '../node/home/node-config.js';
import { getVault } from '../node/home/vault-registry.js';
import { AUTHORITY_SECTION, routeForListener, routeForUdpListener, routeForWsListener, validateDatabaseUrl, type AuthoritySection } from '../node/home/project-node.js';
import { WS } from '../core/routing/address.js';
import { parseRoute } from '../core/routing/route.js';
import { assertNodeJoinsOnlyOne, assertProjectHasNoOtherNode, forgetProject, recordProject } from '../node/home/node-projects.js';
import { projectNames, readProject, type ProjectRecord } from '../node/home/project-registry.js';

/** What prepareProject made: the admin, the node it acts through, and the project's authority. */
export interface PreparedProject {
  readonly name: string;
  readonly route: string;
  /** The route over WebSocket that tickets carry too, when the project node has a WebSocket listener. */
  readonly wsRoute?: string;
  /** The route over UDP that tickets carry too, when the project node has a UDP listener. */
  readonly udpRoute?: string;
  readonly admin: IdentityRecord;
  readonly adminNode: string;
  readonly authorityIdentifier: string;
  /** The vault holding the authority's primary key. */
  readonly authorityVault: string;
  readonly database?: string;
}

/**
 * `project create` up to starting the project node: checks the name and listener, makes
 * sure the admin's node (running `identity`, default the home's default identity) runs,
 * creates the authority identity `NAME-authority`, the project node's configuration and the
 * home's project record. On a failure after the node was written, it is removed again.
 */
export async function prepareProject(
  home: Home,
  { name, listen, identity, database, databasePasswordFile, log, metrics, wsListen, wsRoute: wsRouteOption, udpListen, vault, keyType }: {
    name: string; listen: string; identity?: string; database?: string; log?: LogLimits; metrics?: MetricsEndpoint;
    /** Vault of the authority identity's primary key (a KMS or HSM in production); default the home's file vault. */
    vault?: string;
    /** Key type of that primary key (default: ed25519 when the vault offers it, else p256). */
    keyType?: SigningKeyType;
    /** A 0600 file holding the database password. */
    databasePasswordFile?: string;
    /** HOST:PORT of the project node's WebSocket listener. */
    wsListen?: string;
    /** The route members use to reach that listener (e.g. through a proxy); default: the listener's own. */
    wsRoute?: string;
    /** IP:PORT of the project node's UDP listener (members may reach it over UDP; direct paths meet there). */
    udpListen?: string;
  },
): Promise<PreparedProject> {
  validateNodeName(name);
  if (name.length > 50) throw new InvalidInputError('cli', 'project names have at most 50 characters');
  if (projectNames(home).includes(name)) throw new AlreadyExistsError('cli', `project '${name}' already exists`);
  if (home.hasNode(name)) throw new AlreadyExistsError('cli', `node '${name}' already exists; choose another project name`);
  const route = routeForListener(listen);
  if (/\/tcp\/0$/.test(route)) throw new InvalidInputError('cli', '--listen needs a fixed port: members reach the project at it');
  if (database !== undefined) validateDatabaseUrl(database);
  if (databasePasswordFile !== undefined && database === undefined) throw new InvalidInputError('cli', '--database-password-file needs --database');
  // The authority key's vault must exist before anything is started or written.
  if (vault !== undefined) getVault(home, vault);
  const wsRoute = projectWsRoute(wsListen, wsRouteOption);
  const udpRoute = udpListen === undefined ? undefined : routeForUdpListener(validateUdpListenerAddress(udpListen));
  if (udpRoute !== undefined && /\/udp\/0$/.test(udpRoute)) throw new InvalidInputError('cli', '--udp-listener-address needs a fixed port: members reach the project at it');

  // The admin acts through a node running its identity: the default node, or one named after the identity.
  const admin = await ensureIdentity(home, identity);
  let adminNode = home.defaultNode() ?? DEFAULT_NODE_NAME;
  const runsAs = home.hasNode(adminNode) ? configuredNodeIdentity(home, adminNode) ?? defaultIdentityName(home) : defaultIdentityName(home);
  if (runsAs !== admin.name) {
    adminNode = validateNodeName(admin.name);
    if (!home.hasNode(adminNode)) {
      createNode(home, adminNode);
      setConfiguredNodeIdentity(home, adminNode, admin.name);
    } else if ((configuredNodeIdentity(home, adminNode) ?? defaultIdentityName(home)) !== admin.name) {
      throw new InvalidInputError('cli', `node '${adminNode}' does not run identity '${admin.name}'`);
    }
  }
  assertNodeJoinsOnlyOne(home, adminNode, name);
  await ensureRunning(home, adminNode);

  const authorityName = `${name}-authority`;
  await ensureAuthorityIdentity(home, authorityName, vault, keyType);
  const { identity: authority, record: authorityRecord } = loadIdentity(home, authorityName);
  createNode(home, name, { tcpListenerAddress: listen, ...(log ? { log } : {}), ...(metrics ? { metrics } : {}), ...(wsListen === undefined ? {} : { wsListenerAddress: wsListen }),
    ...(udpListen === undefined ? {} : { udpListenerAddress: udpListen }) });
  const section: AuthoritySection = { project: name, route, ...(wsRoute ? { wsRoute } : {}), ...(udpRoute ? { udpRoute } : {}), admin: admin.identifier, ...(database ? { database } : {}),
    ...(databasePasswordFile !== undefined ? { databasePasswordFile: resolve(databasePasswordFile) } : {}) };
  try {
    setConfiguredNodeIdentity(home, name, authorityName);
    setAcceptUnauthenticated(home, name, true);
    new NodeConfigFile(home, name).setSection(AUTHORITY_SECTION, section);
    const { identifier, changeHistory } = authority.toJSON();
    const record: ProjectRecord = {
      version: 1, name, route, ...(wsRoute ? { wsRoute } : {}), ...(udpRoute ? { udpRoute } : {}), authority: { identifier, changeHistory }, authorityIdentifier: identifier,
      role: 'admin', node: adminNode, createdAt: new Date().toISOString(),
    };
    recordProject(home, record);
  } catch (err) {
    await deleteNode(home, name);
    throw err;
  }
  return {
    name, route, ...(wsRoute ? { wsRoute } : {}), ...(udpRoute ? { udpRoute } : {}), admin, adminNode, authorityIdentifier: authority.identifier, authorityVault: authorityRecord.vault,
    ...(database ? { database } : {}),
  };
}

/**
 * The authority identity `name`: created with its primary key in `vault` (default the
 * home's file vault), or the existing one when its key already lives there. The primary
 * key signs only identity changes, purpose-key attestations and audit checkpoints; the
 * project node signs credentials with its own attested key (docs/authority.md).
 */
async function ensureAuthorityIdentity(home: Home, name: string, vault: string | undefined, keyType: SigningKeyType | undefined): Promise<void> {
  if (!identityNames(home).includes(name)) {
    await createIdentityRecord(home, name, { ...(vault !== undefined ? { vault } : {}), ...(keyType !== undefined ? { keyType } : {}) });
    return;
  }
  const existing = readIdentityRecord(home, name);
  if (vault !== undefined && existing.vault !== vault) {
    throw new InvalidInputError('cli', `identity '${name}' already exists with its key in vault '${existing.vault}', not '${vault}': delete it first (symbolon identity delete ${name}) or choose another project name`);
  }
}

/**
 * The WebSocket route of a new project: `wsRoute` when given (it must start with a
 * WebSocket hop, e.g. `/dns/proxy.example/tcp/443/wss/path/bank`), else the route of the
 * listener `wsListen`; undefined without a WebSocket listener.
 */
function projectWsRoute(wsListen: string | undefined, wsRoute: string | undefined): string | undefined {
  if (wsListen === undefined) {
    if (wsRoute !== undefined) throw new InvalidInputError('cli', '--ws-route needs --ws-listener-address (the listener the route reaches)');
    return undefined;
  }
  const route = wsRoute ?? routeForWsListener(wsListen);
  if (/\/tcp\/0\//.test(route)) throw new InvalidInputError('cli', '--ws-listener-address needs a fixed port: members reach the project at it');
  const parsed = parseRoute(route);
  if (parsed.length === 0 || parsed.some((hop) => hop.type !== WS) || parsed.length !== 1) {
    throw new InvalidInputError('cli', `--ws-route must be one WebSocket hop, e.g. /dns/proxy.example/tcp/443/wss/path/bank, got '${route}'`);
  }
  return route;
}

/** Removes what prepareProject made for project `name` (after its node failed to start). */
export async function undoProject(home: Home, name: string): Promise<void> {
  await deleteNode(home, name);
  forgetProject(home, name);
}

/**
 * `project create`'s last step, once the project node runs: the admin's node fetches its
 * credential. Returns the membership, or the reason it could not.
 */
export async function joinProject(home: Home, name: string): Promise<{ membership?: MembershipView; error?: string }> {
  try {
    return { membership: await callProjectNode(home, readProject(home, name), 'project.join', { project: name }) };
  } catch (err) {
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Errors after which the authority certainly did not enroll this identity with the ticket. */
function certainlyRefused(error: unknown): boolean {
  return error instanceof SymbolonError && error.origin === 'authority' && ['unauthorized', 'not-found', 'expired', 'invalid'].includes(error.kind);
}

/**
 * `project enroll`: with the ticket `line`, records the project (its authority becomes
 * trusted) for node `node` (default: the node named after `identity` when that is not the
 * default identity, else the default node), makes sure the node runs, and redeems the
 * ticket there. Redemption is idempotent for the identity (see docs/authority.md). On a
 * refusal by the authority, whatever this call created (project record, node, identity) is
 * removed again; when the outcome is unknown (the node or the connection died after the
 * request may have reached the authority), the identity and the project record are kept
 * for a retry or `project enroll --resume`. Either way a node this call started is stopped.
 */
export async function enrollWithTicket(
  home: Home,
  { line, identity: identityName, node, ws, udp, replicaRoute }: {
    line: string; identity?: string; node?: string;
    /** Reach the project over the ticket's WebSocket route. */ ws?: boolean;
    /** Reach the project over the ticket's UDP route. */ udp?: boolean;
    /** Connect to this one of the ticket's replica routes first. */ replicaRoute?: string;
  },
): Promise<{ joined: MembershipView; identity: IdentityRecord; node: string; authority: string }> {
  const ticket = decodeEnrollmentTicket(line);
  if (ticket.expiresAt <= Date.now()) throw new ExpiredError('authority', `the ticket for project '${ticket.projectName}' expired at ${new Date(ticket.expiresAt).toISOString()}; ask for a new one`);
  const authority = importIdentity(ticket.authorityChangeHistory, nowSeconds());
  if (ws === true && ticket.projectWsRoute === undefined) {
    throw new InvalidInputError('cli', `the ticket for project '${ticket.projectName}' carries no WebSocket route (the project node has no WebSocket listener)`);
  }
  if (udp === true && ticket.projectUdpRoute === undefined) {
    throw new InvalidInputError('cli', `the ticket for project '${ticket.projectName}' carries no UDP route (the project node has no UDP listener)`);
  }
  if (ws === true && udp === true) throw new InvalidInputError('cli', 'choose one of --ws and --udp');
  const replicaRoutes = ticket.projectRoutes ?? [ticket.projectRoute];
  if (replicaRoute !== undefined && !replicaRoutes.includes(replicaRoute)) {
    throw new InvalidInputError('cli', `--replica-route ${replicaRoute} is none of the ticket's replica routes (${replicaRoutes.join(', ')})`);
  }
  const route = ws === true ? ticket.projectWsRoute! : udp === true ? ticket.projectUdpRoute! : replicaRoute ?? ticket.projectRoute;

  const existing = projectNames(home).includes(ticket.projectName) ? readProject(home, ticket.projectName) : undefined;
  if (existing && existing.authorityIdentifier !== authority.identifier) {
    throw new InvalidInputError('cli', `this home already belongs to another project named '${ticket.projectName}' (authority ${existing.authorityIdentifier})`);
  }
  const identityExisted = identityNames(home).includes(identityName ?? defaultIdentityName(home));
  const identity = await ensureIdentity(home, identityName);
  const nodeName = validateNodeName(node ?? (identityName !== undefined && identityName !== defaultIdentityName(home) ? identityName : home.defaultNode() ?? DEFAULT_NODE_NAME));
  const nodeExisted = home.hasNode(nodeName);
  const nodeWasRunning = nodeExisted && runningPid(home, nodeName) !== undefined;
  let joined: MembershipView;
  try {
    assertNodeJoinsOnlyOne(home, nodeName, ticket.projectName);
    assertProjectHasNoOtherNode(home, existing, nodeName);
    if (!home.hasNode(nodeName) && nodeName !== (home.defaultNode() ?? DEFAULT_NODE_NAME)) {
      createNode(home, nodeName);
      setConfiguredNodeIdentity(home, nodeName, identity.name);
    } else if (home.hasNode(nodeName) && (configuredNodeIdentity(home, nodeName) ?? defaultIdentityName(home)) !== identity.name) {
      throw new InvalidInputError('cli', `node '${nodeName}' runs another identity than '${identity.name}' (choose a node with --node)`);
    }
    const { identifier, changeHistory } = authority.toJSON();
    const record: ProjectRecord = {
      version: 1, name: ticket.projectName, route, ...(ticket.projectWsRoute === undefined ? {} : { wsRoute: ticket.projectWsRoute }),
      ...(ticket.projectUdpRoute === undefined ? {} : { udpRoute: ticket.projectUdpRoute }),
      ...(ticket.projectRoutes !== undefined && ws !== true && udp !== true ? { routes: [route, ...ticket.projectRoutes.filter((r) => r !== route)] } : {}),
      authority: { identifier, changeHistory }, authorityIdentifier: identifier,
      role: existing?.role ?? 'member', node: nodeName, ...(existing?.credential ? { credential: existing.credential } : {}),
      createdAt: existing?.createdAt ?? new Date().toISOString(),
    };
    // The node needs the record (route, trusted authority) to reach the authority; it adds
    // the role and the credential once the authority has answered.
    recordProject(home, record);
    await ensureRunning(home, nodeName);
    joined = await callProjectNode(home, record, 'project.enroll', { project: record.name, ticket: line }, { timeoutMs: 45_000 });
  } catch (err) {
    // Never leave a node running that this call started.
    if (!nodeWasRunning && home.hasNode(nodeName)) await stopNode(home, nodeName).catch(() => false);
    if (!certainlyRefused(err) && !(err instanceof InvalidInputError && err.origin === 'cli')) {
      throw new SymbolonError(err instanceof SymbolonError ? err.origin : 'cli', err instanceof SymbolonError ? err.kind : 'io',
        `${err instanceof Error ? err.message : String(err)}; the authority may have recorded the enrollment: finish with 'symbolon project enroll --resume --project ${ticket.projectName}' or run this command again with the same ticket`,
        { cause: err });
    }
    // Refused: remove what this call created, in reverse order.
    if (!existing && projectNames(home).includes(ticket.projectName)) forgetProject(home, ticket.projectName);
    if (!nodeExisted && home.hasNode(nodeName)) await deleteNode(home, nodeName).catch(() => undefined);
    if (!identityExisted && identityNames(home).includes(identity.name) && nodesUsingIdentity(home, identity.name).length === 0) {
      await deleteIdentityRecord(home, identity.name).catch(() => undefined);
    }
    throw err;
  }
  return { joined, identity, node: nodeName, authority: authority.identifier };
}

/** The project and identity steps `symbolon run` takes, as the project commands take them. */
export const runSteps: RunSteps = {
  nodeIdentity: (home, node) => configuredNodeIdentity(home, node),
  setNodeIdentity: (home, node, identity) => setConfiguredNodeIdentity(home, node, identity),
  prepareProject: async (home, spec) => {
    await prepareProject(home, spec);
  },
  undoProject,
  joinProject: async (home, name) => (await joinProject(home, name)).error,
  enroll: async (home, spec) => {
    await enrollWithTicket(home, spec);
  },
};
