import { createSecureChannel } from '../../../core/channel/create-secure-channel.js';
import type { SecureChannel } from '../../../core/channel/secure-channel.js';
import type { SecureChannelOptions } from '../../../core/channel/secure-channel-options.js';
import { NotFoundError } from '../../../core/errors.js';
import type { Identity } from '../../../core/identity/identity.js';
import { local } from '../../../core/routing/address.js';
import type { Route } from '../../../core/routing/message.js';
import { formatRoute } from '../../../core/routing/route.js';
import { relayAddress } from '../../../core/relay/relay-message.js';
import { answeredByProjectAuthority, defaultProjectName, projectOfNode, readProject, type ProjectRecord } from '../../home/project-registry.js';
import type { NodeSecurity } from '../node-security.js';
import type { DaemonContext } from '../service.js';

/** Keep-alive period of channels the daemon opens, in ms (a dead peer is noticed within 3 periods). */
export const CHANNEL_KEEP_ALIVE_MS = 2_000;

/**
 * A read-only map that always shows the node's current trusted authorities, so channels
 * and listeners started before an enrollment trust the authority afterwards.
 */
export function liveAuthorities(security: NodeSecurity): ReadonlyMap<string, Identity> {
  const current = (): ReadonlyMap<string, Identity> => security.trustedAuthorities();
  return {
    get: (key) => current().get(key),
    has: (key) => current().has(key),
    get size() { return current().size; },
    entries: () => current().entries(),
    keys: () => current().keys(),
    values: () => current().values(),
    forEach: (fn, thisArg) => current().forEach(fn, thisArg),
    [Symbol.iterator]: () => current()[Symbol.iterator](),
  };
}

/** Secure channel options of this node: its identity, purpose key, credential, authorities and attribute store. */
export function nodeChannelOptions(ctx: DaemonContext, extra: Partial<SecureChannelOptions> = {}): SecureChannelOptions {
  const { security } = ctx;
  return {
    identity: security.identity,
    secureChannelKey: () => security.secureChannelKey(),
    credentials: () => security.credential(),
    trustedAuthorities: liveAuthorities(security),
    attributeStore: security.attributes,
    transport: ctx.transports,
    ...extra,
  };
}

/** The project node `node` works with: `name` when given, else the node's project, else the home's default project. */
export function projectFor(ctx: DaemonContext, name?: string): ProjectRecord {
  if (name !== undefined) return readProject(ctx.home, name);
  const own = projectOfNode(ctx.home, ctx.name);
  if (own) return own;
  const fallback = defaultProjectName(ctx.home);
  if (fallback === undefined) throw new NotFoundError('cli', `node '${ctx.name}' belongs to no project (enroll it first: symbolon project enroll TICKET)`);
  return readProject(ctx.home, fallback);
}

/** The route to a project node's secure channel listener. */
export function projectListenerRoute(ctx: DaemonContext, project: ProjectRecord): Route {
  return [...ctx.parseRoute(project.route), local('api')];
}

/** What {@link ChannelCache.ensure} takes besides the route. */
export interface EnsureChannelOptions {
  readonly signal?: AbortSignal;
  /** The channel this one runs inside (it closes with it). */
  readonly inside?: SecureChannel;
  /**
   * Who must answer: the handshake fails unless the responder matches, and channels with
   * different pins are never shared. `pin` names the expected identity (cache key).
   */
  readonly expect?: { readonly pin: string; readonly authorize: (peer: { readonly identifier: string }) => boolean };
}

/**
 * An open channel to `project`'s node, pinned to the project's authority (the identifier
 * in the project record): a listener with any other identity at the project's address
 * is refused during the handshake.
 */
export function projectChannel(ctx: DaemonContext, cache: ChannelCache, project: ProjectRecord, signal?: AbortSignal): Promise<SecureChannel> {
  return cache.ensure(projectListenerRoute(ctx, project), {
    ...(signal ? { signal } : {}),
    expect: { pin: project.authorityIdentifier, authorize: answeredByProjectAuthority(project) },
  });
}

/**
 * Channels a node keeps open for its inlets and relays, one per route: reused while open,
 * rebuilt on the next request once closed (peer restart, dead connection, keep-alive
 * timeout). A channel opened inside another closes with it.
 */
export class ChannelCache {
  private readonly channels = new Map<string, Promise<SecureChannel>>();

  constructor(private readonly ctx: DaemonContext, private readonly handshakeTimeoutMs = 5_000) {}

  /** An open channel to the listener at the end of `route`, opened when needed. */
  async ensure(route: Route, options: EnsureChannelOptions = {}): Promise<SecureChannel> {
    const key = `${formatRoute(route)} ${options.expect?.pin ?? ''}`;
    const cached = this.channels.get(key);
    if (cached) {
      const channel = await cached.catch(() => undefined);
      if (channel && !channel.isClosed) return channel;
      if (this.channels.get(key) === cached) this.channels.delete(key);
    }
    const opening = this.open(route, options);
    this.channels.set(key, opening);
    const forget = (): void => {
      if (this.channels.get(key) === opening) this.channels.delete(key);
    };
    opening.then((channel) => channel.onClosed(forget), forget);
    return opening;
  }

  /** Closes every cached channel. */
  async closeAll(): Promise<void> {
    const all = [...this.channels.values()];
    this.channels.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => undefined))?.close()));
  }

  private async open(route: Route, { signal, inside, expect }: EnsureChannelOptions): Promise<SecureChannel> {
    const channel = await createSecureChannel(this.ctx.node, route, nodeChannelOptions(this.ctx, {
      keepAliveMs: CHANNEL_KEEP_ALIVE_MS, handshakeTimeoutMs: this.handshakeTimeoutMs, ...(signal ? { signal } : {}),
      ...(expect ? { authorize: expect.authorize } : {}),
    }));
    if (inside) {
      const unsubscribe = inside.onClosed(() => { void channel.close(); });
      channel.onClosed(() => unsubscribe());
    }
    return channel;
  }
}

/**
 * The route, through this node's channel to its project (pinned to the project's
 * authority), to the outlet node `via` relays to: `[channel, forward_to_NAME, api]`.
 */
export async function relayedListenerRoute(ctx: DaemonContext, cache: ChannelCache, relay: string, signal?: AbortSignal): Promise<{ route: Route; inside: SecureChannel }> {
  const toProject = await projectChannel(ctx, cache, projectFor(ctx), signal);
  return { route: [local(toProject.address), local(relayAddress(relay)), local('api')], inside: toProject };
}
