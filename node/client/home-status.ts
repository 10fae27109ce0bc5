import type { HomeStatus, InletStatus, LastError, NodeStatus, OutletStatus, ProjectStatus, RelayStatus } from '../api/home-status.js';
import type { RelayView } from '../api/relay-view.js';
import type { TcpInletView } from '../api/tcp-inlet-view.js';
import type { TcpOutletView } from '../api/tcp-outlet-view.js';
import type { Home } from '../home/home.js';
import { credentialExpiresAt } from '../home/credential-expiry.js';
import { defaultIdentityName, identityNames, readIdentityRecord } from '../home/identity-registry.js';
import { readNodeConfig } from '../home/node-config.js';
import { lastExit } from '../home/node-exit.js';
import { AUTHORITY_SECTION, readAuthoritySection } from '../home/project-node.js';
import { defaultProjectName, listProjects, projectCredential, type ProjectRecord } from '../home/project-registry.js';
import { savedPortals } from '../home/saved-config.js';
import { readNodeState, runningPid } from '../home/node-state.js';
import { callNodeSocket, nodeSocket } from './node-call.js';

/** How long status waits for each answer of a running node. */
const CALL_TIMEOUT_MS = 3_000;

const iso = (ms: number | undefined): string | null => (ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());
/** A last error of the node API (ISO times) as status shows it. */
const lastError = (s: { readonly lastError?: string; readonly lastErrorAt?: string; readonly recoveredAt?: string }, fallbackAt: string | null = null): LastError | null =>
  (s.lastError === undefined ? null : { message: s.lastError, at: s.lastErrorAt ?? fallbackAt, current: s.recoveredAt === undefined, recoveredAt: s.recoveredAt ?? null });

function inletStatus(i: TcpInletView): InletStatus {
  const s = i.status;
  const record = {
    name: i.name, ...(i.via !== undefined ? { via: i.via } : {}), ...(i.to !== undefined ? { to: i.to } : {}), outlet: i.outlet,
    ...(i.path !== undefined ? { path: i.path.path } : {}),
  };
  if (s === undefined) return { ...record, health: 'error', lastError: lastError({ lastError: i.error ?? 'could not start' }) };
  const health = s.connected ? 'ok' : s.lastError !== undefined && s.recoveredAt === undefined ? 'failing' : 'idle';
  return {
    ...record, health, sessions: s.sessions, sessionsOpened: s.sessionsOpened, sessionsFailed: s.sessionsFailed, bytesIn: s.bytesIn, bytesOut: s.bytesOut,
    lastError: lastError(s, s.since),
  };
}

function outletStatus(o: TcpOutletView): OutletStatus {
  const s = o.status;
  return {
    address: o.address, target: o.target, health: 'ok',
    sessions: s.sessions, sessionsOpened: s.sessionsOpened, sessionsFailed: s.sessionsFailed, bytesIn: s.bytesIn, bytesOut: s.bytesOut,
    refused: s.refusedPeerCap, ...(s.refusals === undefined ? {} : { refusals: s.refusals }), lastError: lastError(s),
  };
}

function relayStatus(r: RelayView): RelayStatus {
  const s = r.status;
  const health = s.connected ? 'registered' : s.held ? 'held' : s.refused ? 'refused' : 'connecting';
  return { name: r.name, project: r.at, health, since: s.since, lastError: lastError(s, s.since) };
}

/** Status of node `name`: from its files, and from its control socket when it runs. */
async function nodeStatus(home: Home, name: string, isDefault: boolean): Promise<{ node: NodeStatus; authority?: { relays: readonly string[]; members: number }; credentialExpiresAt?: number }> {
  const config = readNodeConfig(home, name);
  const pid = runningPid(home, name);
  const saved = savedPortals(config);
  if (pid === undefined) {
    const exit = lastExit(home, name);
    return {
      node: {
        name, isDefault, status: exit?.kind === 'crashed' ? 'crashed' : 'stopped', pid: null, listener: config.tcpListenerAddress,
        startedAt: null, uptimeSeconds: null, identifier: null, exit,
        inlets: saved.inlets.map((i) => ({ name: i.listen, ...(i.via !== undefined ? { via: i.via } : {}), ...(i.to !== undefined ? { to: i.to } : {}), outlet: i.outlet, health: 'stopped', lastError: null })),
        outlets: saved.outlets.map((o) => ({ address: o.address, target: o.target, health: 'stopped', lastError: null })),
        relays: saved.relays.map((r) => ({ name: r.name, project: r.project ?? null, health: 'stopped', since: null, lastError: null })),
      },
    };
  }
  const state = readNodeState(home, name);
  const socket = { path: nodeSocket(home, name), name };
  const call = { timeoutMs: CALL_TIMEOUT_MS };
  const base = {
    name, isDefault, status: 'running' as const, pid, listener: state?.tcpListenerAddress ?? config.tcpListenerAddress,
    startedAt: state?.startedAt ?? null, exit: null,
  };
  try {
    const [info, security, inlets, outlets, relays] = await Promise.all([
      callNodeSocket(socket, 'node.info', {}, call),
      callNodeSocket(socket, 'security.info', {}, call),
      callNodeSocket(socket, 'tcp-inlet.list', {}, call),
      callNodeSocket(socket, 'tcp-outlet.list', {}, call),
      callNodeSocket(socket, 'relay.list', {}, call),
    ]);
    const runsAuthority = readAuthoritySection(config.sections[AUTHORITY_SECTION]) !== undefined;
    const authority = runsAuthority ? await callNodeSocket(socket, 'authority.info', {}, call).catch(() => undefined) : undefined;
    return {
      node: {
        ...base, startedAt: info.startedAt, uptimeSeconds: Math.floor(info.uptimeMs / 1000), identifier: security.identifier,
        inlets: inlets.inlets.map(inletStatus), outlets: outlets.outlets.map(outletStatus), relays: relays.relays.map(relayStatus),
      },
      ...(authority !== undefined ? { authority: { relays: authority.relays, members: authority.members } } : {}),
      ...(security.credential !== null ? { credentialExpiresAt: Date.parse(security.credential.expiresAt) } : {}),
    };
  } catch (err) {
    return {
      node: {
        ...base, uptimeSeconds: state ? Math.floor((Date.now() - Date.parse(state.startedAt)) / 1000) : null, identifier: null,
        error: `the node does not answer: ${err instanceof Error ? err.message : String(err)}`,
        inlets: [], outlets: [], relays: [],
      },
    };
  }
}

function projectStatus(project: ProjectRecord, nodes: ReadonlyMap<string, Awaited<ReturnType<typeof nodeStatus>>>, now: number): ProjectStatus {
  const own = project.node !== undefined ? nodes.get(project.node) : undefined;
  let expiresAt = own?.credentialExpiresAt;
  let held = expiresAt !== undefined;
  if (expiresAt === undefined) {
    const presented = projectCredential(project);
    held = presented !== undefined;
    if (presented !== undefined) expiresAt = credentialExpiresAt(presented);
  }
  const projectNode = nodes.get(project.name);
  const runsProject = projectNode !== undefined && (projectNode.authority !== undefined || projectNode.node.status !== 'running');
  return {
    name: project.name, role: project.role ?? null, node: project.node ?? null,
    credential: held ? { expiresAt: iso(expiresAt), expired: expiresAt !== undefined && expiresAt <= now } : null,
    projectNode: runsProject && projectNode !== undefined
      ? { node: project.name, running: projectNode.node.status === 'running', relays: projectNode.authority?.relays ?? null, members: projectNode.authority?.members ?? null }
      : null,
  };
}

/**
 * One view of the home (see {@link HomeStatus}): its default identity, projects and
 * nodes, each running node asked over its control socket (never started: a stopped node
 * is described from its configuration and log).
 */
export async function homeStatus(home: Home): Promise<HomeStatus> {
  const now = Date.now();
  const defaultNode = home.defaultNode() ?? null;
  const names = home.nodeNames();
  const collected = await Promise.all(names.map((n) => nodeStatus(home, n, n === defaultNode)));
  const byName = new Map(names.map((n, i) => [n, collected[i]!]));
  let identity: HomeStatus['identity'] = null;
  const identityName = defaultIdentityName(home);
  if (identityNames(home).includes(identityName)) {
    const record = readIdentityRecord(home, identityName);
    identity = { name: record.name, identifier: record.identifier, vault: record.vault };
  }
  const projects = listProjects(home).map((p) => projectStatus(p, byName, now));
  return {
    home: home.root, at: new Date(now).toISOString(), identity, defaultNode, defaultProject: defaultProjectName(home) ?? null,
    projects, nodes: collected.map((c) => c.node), running: collected.filter((c) => c.node.status === 'running').length,
  };
}
