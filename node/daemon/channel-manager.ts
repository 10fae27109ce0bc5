import { setMaxListeners } from 'node:events';
import { createSecureChannel } from '../../core/channel/create-secure-channel.js';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import type { Authorize, SecureChannelOptions } from '../../core/channel/secure-channel-options.js';
import { AbortedError, IoError, NotFoundError, UnauthorizedError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Node } from '../../core/node/node.js';
import { decodeRelayMessage, relayAddress } from '../../core/relay/relay-message.js';
import { local } from '../../core/routing/address.js';
import type { Message, PeerInfo, Route } from '../../core/routing/message.js';
import { formatRoute } from '../../core/routing/route.js';
import type { TransportSet } from '../../core/transport/transport-set.js';
import { PROJECT_LISTENER_ADDRESS } from '../home/project-node.js';
import { answeredByProjectAuthority, projectRoutes, type ProjectRecord } from '../home/project-registry.js';
import { connectFirstHop } from './connect-first-hop.js';
import type { HandshakeCounts } from './metrics/handshake-counts.js';
import type { NodeCredentials } from './node-credentials.js';
import type { NodeIdentity } from './node-identity.js';
import { nodeChannelOptions } from './services/node-channels.js';

/** Keep-alive period of a channel to a project node, in ms (a frozen project node is noticed within 3 periods; a closed connection at once). */
export const PROJECT_CHANNEL_KEEP_ALIVE_MS = 2_000;
/** Keep-alive period of routed (end-to-end) channels, in ms: a probe only when idle. */
export const ROUTED_CHANNEL_KEEP_ALIVE_MS = 1_000;
/** A routed channel from which nothing arrived for this long closes, in ms. */
export const ROUTED_CHANNEL_KEEP_ALIVE_TIMEOUT_MS = 4_000;
/** Handshake deadline of a channel to a project node, in ms. */
export const PROJECT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** Handshake deadline of a routed channel, in ms. */
export const ROUTED_HANDSHAKE_TIMEOUT_MS = 5_000;

/** What a {@link ChannelManager} works with (a DaemonContext fits). */
export interface ChannelManagerOptions {
  readonly node: Node;
  readonly transports: TransportSet;
  readonly identity: NodeIdentity;
  readonly credentials: NodeCredentials;
  /** Parses route text (resolving `/node/NAME` in the home). */
  readonly parseRoute: (text: string) => Route;
  readonly logger: Logger;
  /** Counts the outcome of each handshake the manager starts (for the node's metrics). */
  readonly handshakes?: HandshakeCounts;
}

/** One channel the manager keeps, as `list()` reports it. */
export interface ManagedChannel {
  /** What it is for: `project NAME`, `relay NAME of project P`, `route ROUTE`. */
  readonly purpose: string;
  /** Encryptor address. */
  readonly address: string;
  /** The responder's identifier. */
  readonly peer: string;
}

/**
 * Why this node refuses to complete a channel it opens to `peer` (e.g. the peer's identity
 * is revoked), or undefined to go on. Asked during the handshake, before the channel exists.
 */
export type ResponderRefusal = (peer: PeerInfo) => string | undefined;

interface Entry {
  readonly purpose: string;
  readonly opening: Promise<SecureChannel>;
  channel?: SecureChannel;
}

/**
 * The secure channels a node keeps for itself, one per purpose, shared by every part of
 * the daemon: one channel per project node (pinned to the project's authority, one
 * keep-alive), used by membership, credential refresh, relays and inlets; and one
 * end-to-end channel per route (through a relay, or to a listener an inlet names), shared
 * by all of an inlet's sessions. A channel is opened on first use, reused while open and
 * opened again on the next use after it closed; concurrent callers share one handshake,
 * and a caller's signal only ends its own wait.
 *
 * Failures are fast: a route that starts with a TCP hop is connected first, so a refused
 * or unreachable address fails at once with its reason; a relay that does not exist fails
 * at once with "no relay NAME" (the project node's `unknown` reply), and an open channel
 * through a relay that went away closes on its next keep-alive. Whoever builds on a
 * channel learns that it closed from {@link closedSignal}. See docs/portals.md.
 */
export class ChannelManager {
  private readonly entries = new Map<string, Entry>();
  private readonly signals = new WeakMap<SecureChannel, AbortSignal>();
  private readonly stopping = new AbortController();
  private refusal: ResponderRefusal | undefined;
  /** Per project, the replica route that answered last (tried first next time). */
  private readonly preferred = new Map<string, string>();
  private readonly projectChannelListeners = new Set<(project: string, route: string) => void>();
  private readonly announced = new WeakSet<SecureChannel>();

  constructor(private readonly options: ChannelManagerOptions) {}

  /**
   * Refuses, from now on, every channel this node opens (kept ones and {@link openOnce})
   * to a responder `refusal` names a reason for: the handshake stops before message 3, so
   * nothing is sent over it, and the caller gets UnauthorizedError with that reason.
   */
  refuseResponders(refusal: ResponderRefusal): void {
    this.refusal = refusal;
  }

  /**
   * Calls `listener` with the project's name and the route each time a new channel to a
   * project node (a replica) opened; returns a function that unsubscribes.
   */
  onProjectChannel(listener: (project: string, route: string) => void): () => void {
    this.projectChannelListeners.add(listener);
    return () => { this.projectChannelListeners.delete(listener); };
  }

  /**
   * A channel to the listener at the end of `route` that the manager does not keep
   * (`secure-channel create`): the route's first TCP hop is connected first, and the
   * responder is checked like every channel the node opens.
   */
  async openOnce(route: Route, { signal }: { signal?: AbortSignal } = {}): Promise<SecureChannel> {
    return await this.open(route, signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal]), {});
  }

  /**
   * The channel to `project`'s node listener, pinned to the project's authority (a node
   * with another identity at the project's address is refused during the handshake).
   * A project with several replicas (`routes`) is tried replica by replica, starting with
   * the one that answered last, so on the loss of one the node reconnects to another.
   * Rejects with IoError naming the project and the reason (refused connect, handshake).
   */
  async toProject(project: ProjectRecord, { signal }: { signal?: AbortSignal } = {}): Promise<SecureChannel> {
    const routes = projectRoutes(project);
    if (routes.length === 1) return await this.toProjectAt(project, routes[0]!, signal);
    const last = this.preferred.get(project.name);
    const ordered = last !== undefined && routes.includes(last) ? [last, ...routes.filter((r) => r !== last)] : routes;
    let failure: unknown;
    for (const route of ordered) {
      try {
        const channel = await this.toProjectAt(project, route, signal);
        if (this.preferred.get(project.name) !== route) {
          this.preferred.set(project.name, route);
          // When it closes, the next replica is tried first: the lost one may still look
          // connected for a moment (a dead peer's connection not yet noticed).
          const next = ordered[(ordered.indexOf(route) + 1) % ordered.length]!;
          channel.onClosed(() => { if (this.preferred.get(project.name) === route) this.preferred.set(project.name, next); });
        }
        return channel;
      } catch (error) {
        if (error instanceof AbortedError) throw error;
        failure = error;
      }
    }
    throw new IoError('node', `cannot reach any replica of project '${project.name}' (${ordered.join(', ')}): ${(failure as Error).message}`, { cause: failure });
  }

  /**
   * The channel to another replica of this node's project at `routeText` (its listener),
   * pinned to `authority`: both ends are replicas running the authority identity, so each
   * must present a secure-channel key attested by the authority's primary key.
   */
  async toReplica(routeText: string, authority: string, { signal }: { signal?: AbortSignal } = {}): Promise<SecureChannel> {
    const route = [...this.options.parseRoute(routeText), local(PROJECT_LISTENER_ADDRESS)];
    return await this.ensure(`${formatRoute(route)} replica ${authority}`, `replica ${routeText}`, signal, (stop) => this.open(route, stop, {
      authorize: (peer) => peer.identifier === authority,
      keepAliveMs: PROJECT_CHANNEL_KEEP_ALIVE_MS,
      handshakeTimeoutMs: PROJECT_HANDSHAKE_TIMEOUT_MS,
    }));
  }

  private async toProjectAt(project: ProjectRecord, routeText: string, signal: AbortSignal | undefined): Promise<SecureChannel> {
    const purpose = `project ${project.name}`;
    try {
      const route = [...this.options.parseRoute(routeText), local(PROJECT_LISTENER_ADDRESS)];
      const key = `${formatRoute(route)} ${project.authorityIdentifier}`;
      this.forgetOther(purpose, key);
      const channel = await this.ensure(key, purpose, signal, (stop) => this.open(route, stop, {
        authorize: answeredByProjectAuthority(project),
        keepAliveMs: PROJECT_CHANNEL_KEEP_ALIVE_MS,
        handshakeTimeoutMs: PROJECT_HANDSHAKE_TIMEOUT_MS,
      }));
      if (!this.announced.has(channel)) {
        this.announced.add(channel);
        for (const listener of [...this.projectChannelListeners]) {
          try {
            listener(project.name, routeText);
          } catch (err) {
            this.options.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'project channel listener failed');
          }
        }
      }
      return channel;
    } catch (cause) {
      if (cause instanceof AbortedError) throw cause;
      throw new IoError('node', `cannot reach project '${project.name}' at ${routeText}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * A second channel to `project`'s node listener, over the project's UDP route (the
   * rendezvous of direct paths asks through it, so the project node sees this node's UDP
   * address). Pinned to the project's authority like {@link toProject}. Rejects with
   * NotFoundError when the project has no UDP route, IoError when it cannot be reached.
   */
  async toProjectOverUdp(project: ProjectRecord, { signal }: { signal?: AbortSignal } = {}): Promise<SecureChannel> {
    if (project.udpRoute === undefined) throw new NotFoundError('node', `project '${project.name}' has no UDP route (its node has no UDP listener)`);
    const purpose = `project ${project.name} over udp`;
    try {
      const route = [...this.options.parseRoute(project.udpRoute), local(PROJECT_LISTENER_ADDRESS)];
      const key = `${formatRoute(route)} ${project.authorityIdentifier}`;
      this.forgetOther(purpose, key);
      return await this.ensure(key, purpose, signal, (stop) => this.open(route, stop, {
        authorize: answeredByProjectAuthority(project),
        keepAliveMs: PROJECT_CHANNEL_KEEP_ALIVE_MS,
        handshakeTimeoutMs: PROJECT_HANDSHAKE_TIMEOUT_MS,
      }));
    } catch (cause) {
      if (cause instanceof AbortedError) throw cause;
      throw new IoError('node', `cannot reach project '${project.name}' over udp at ${project.udpRoute}: ${(cause as Error).message}`, { cause });
    }
  }

  /**
   * The end-to-end channel to the node that registered relay `relay` at `project`'s node,
   * inside the channel to the project: `[toProject, forward_to_RELAY, api]`. Rejects with
   * NotFoundError at once when the project node has no such relay.
   */
  async throughRelay(project: ProjectRecord, relay: string, { signal }: { signal?: AbortSignal } = {}): Promise<SecureChannel> {
    const toProject = await this.toProject(project, signal ? { signal } : {});
    const route = [local(toProject.address), local(relayAddress(relay)), local(PROJECT_LISTENER_ADDRESS)];
    const purpose = `relay ${relay} of project ${project.name}`;
    return await this.ensure(`${formatRoute(route)} relay`, purpose, signal, (stop) => this.open(route, stop, {
      keepAliveMs: ROUTED_CHANNEL_KEEP_ALIVE_MS,
      keepAliveTimeoutMs: ROUTED_CHANNEL_KEEP_ALIVE_TIMEOUT_MS,
      handshakeTimeoutMs: ROUTED_HANDSHAKE_TIMEOUT_MS,
      routeError: noSuchRelay(project, relay, toProject),
    }));
  }

  /** The channel to the listener at the end of `route` (e.g. `/node/n2/service/api`). */
  async toListener(route: Route, { signal }: { signal?: AbortSignal } = {}): Promise<SecureChannel> {
    const text = formatRoute(route);
    return await this.ensure(`${text} listener`, `route ${text}`, signal, (stop) => this.open(route, stop, {
      keepAliveMs: ROUTED_CHANNEL_KEEP_ALIVE_MS,
      keepAliveTimeoutMs: ROUTED_CHANNEL_KEEP_ALIVE_TIMEOUT_MS,
      handshakeTimeoutMs: ROUTED_HANDSHAKE_TIMEOUT_MS,
    }));
  }

  /** Counts the outcome of a handshake (for the node's metrics); returns `opening` unchanged. */
  track<T>(opening: Promise<T>): Promise<T> {
    return this.options.handshakes?.track(opening) ?? opening;
  }

  /** A signal that aborts when `channel` closes (one per channel, however many listen). */
  closedSignal(channel: SecureChannel): AbortSignal {
    let signal = this.signals.get(channel);
    if (signal === undefined) {
      const controller = new AbortController();
      signal = controller.signal;
      // Every relay client and inlet session on the channel listens to this one signal.
      setMaxListeners(0, signal);
      this.signals.set(channel, signal);
      channel.onClosed(() => controller.abort());
    }
    return signal;
  }

  /** The open channels the manager keeps. */
  list(): ManagedChannel[] {
    const out: ManagedChannel[] = [];
    for (const entry of this.entries.values()) {
      const c = entry.channel;
      if (c !== undefined && !c.isClosed) out.push({ purpose: entry.purpose, address: c.address, peer: c.peerIdentity.identifier });
    }
    return out;
  }

  /** What the channel at `address` is for, when the manager keeps it. */
  purposeOf(address: string): string | undefined {
    for (const entry of this.entries.values()) if (entry.channel?.address === address) return entry.purpose;
    return undefined;
  }

  /** Closes the channel to `project`'s node (the channels inside it close with it). */
  async closeProject(project: string): Promise<void> {
    await this.closeWhere((purpose) => purpose === `project ${project}`);
  }

  /** Closes every channel and refuses new ones (the node stops). */
  async closeAll(): Promise<void> {
    this.stopping.abort();
    await this.closeWhere(() => true);
  }

  private async closeWhere(match: (purpose: string) => boolean): Promise<void> {
    const closing: Array<Promise<void>> = [];
    for (const [key, entry] of this.entries) {
      if (!match(entry.purpose)) continue;
      this.entries.delete(key);
      closing.push(entry.opening.then((c) => c.close(), () => undefined));
    }
    await Promise.all(closing);
  }

  /** Drops (and closes) a channel kept for `purpose` under another key (the project moved or changed authority). */
  private forgetOther(purpose: string, key: string): void {
    for (const [k, entry] of this.entries) {
      if (entry.purpose !== purpose || k === key) continue;
      this.entries.delete(k);
      entry.opening.then((c) => c.close(), () => undefined).catch(() => undefined);
    }
  }

  private async ensure(key: string, purpose: string, signal: AbortSignal | undefined, open: (stop: AbortSignal) => Promise<SecureChannel>): Promise<SecureChannel> {
    if (this.stopping.signal.aborted) throw new AbortedError('node', 'the node is stopping');
    let entry = this.entries.get(key);
    if (entry?.channel?.isClosed) {
      this.entries.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      const created: Entry = { purpose, opening: open(this.stopping.signal) };
      entry = created;
      this.entries.set(key, created);
      const forget = (): void => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      };
      created.opening.then((channel) => {
        created.channel = channel;
        if (this.entries.get(key) !== created) void channel.close();
        else channel.onClosed(forget);
      }, forget);
    }
    return await waitWith(entry.opening, signal);
  }

  private async open(route: Route, stop: AbortSignal, extra: Partial<SecureChannelOptions>): Promise<SecureChannel> {
    let refused: string | undefined;
    const inner = extra.authorize;
    const refusal = this.refusal;
    const authorize: Authorize | undefined = refusal === undefined ? inner : (peer, context) => {
      refused = refusal(peer);
      if (refused !== undefined) return false;
      return inner === undefined ? true : inner(peer, context);
    };
    const opening = (async () => {
      const connection = await connectFirstHop(this.options.transports, route, { signal: stop });
      // The peer died (or closed the connection) during the handshake: fail now, not after
      // the handshake deadline, so the caller moves on (to another replica) at once.
      const lost = connection === undefined ? undefined : this.options.transports.closedSignal(connection.workerAddress);
      const handshake = new AbortController();
      const abort = (): void => handshake.abort();
      stop.addEventListener('abort', abort, { once: true });
      lost?.addEventListener('abort', abort, { once: true });
      if (stop.aborted || lost?.aborted) handshake.abort();
      try {
        return await createSecureChannel(this.options.node, route, nodeChannelOptions(this.options, { ...extra, ...(authorize ? { authorize } : {}), signal: handshake.signal }));
      } catch (cause) {
        if (lost?.aborted && !stop.aborted) throw new IoError('channel', `the connection to ${formatRoute(route.slice(0, 1))} closed during the handshake`, { cause });
        if (refused === undefined) throw cause;
        throw new UnauthorizedError('channel', `refused to open a channel to ${formatRoute(route)}: ${refused}`, { cause });
      } finally {
        stop.removeEventListener('abort', abort);
        lost?.removeEventListener('abort', abort);
      }
    })();
    return await this.track(opening);
  }
}

/**
 * The route error of a channel through relay `relay`: the project node's `unknown NAME`
 * reply, accepted only when it came through `toProject` from the project's authority.
 */
function noSuchRelay(project: ProjectRecord, relay: string, toProject: SecureChannel): (message: Message) => Error | undefined {
  return (message) => {
    const peer = message.origin?.peer;
    if (message.origin?.via !== 'channel' || peer?.channel !== toProject.address || peer.identifier !== project.authorityIdentifier) return undefined;
    let decoded;
    try {
      decoded = decodeRelayMessage(message.payload);
    } catch {
      return undefined;
    }
    if (decoded.type !== 'unknown' || decoded.name !== relay) return undefined;
    return new NotFoundError('relay', `no relay '${relay}' at project '${project.name}' (no node has registered it, or its node went away)`);
  };
}

/** `promise`, or an AbortedError as soon as `signal` aborts (the promise itself goes on). */
function waitWith<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError('node', 'aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError('node', 'aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
    );
  });
}
