import { SecureChannelListener, defaultHandshakeSource } from '../../../core/channel/secure-channel-listener.js';
import { listenerLimits } from '../../home/node-limits.js';
import { SecureChannelRegistry, type SecureChannelInfo } from '../../../core/channel/secure-channel-registry.js';
import { DEFAULT_LISTENER_ADDRESS } from '../../../core/channel/channel-wire.js';
import { InvalidInputError, NotFoundError } from '../../../core/errors.js';
import { formatRoute } from '../../../core/routing/route.js';
import type { SecureChannelView } from '../../api/secure-channel-view.js';
import type { Home } from '../../home/home.js';
import { isObject } from '../../home/json-file.js';
import { NodeConfigFile } from '../../home/node-config.js';
import { AUTHORITY_SECTION } from '../../home/project-node.js';
import type { PeerInfo } from '../../../core/routing/message.js';
import { AUTHENTICATED_PEER } from '../../../policy/default-rules.js';
import type { NodePolicy } from '../node-policy.js';
import { revokedPeerCheck } from '../revoked-peers.js';
import type { DaemonContext, DaemonService } from '../service.js';
import { nodeChannelOptions } from './node-channels.js';


/**
 * Keep-alive of the channels the listener accepts: a probe every 2 s when nothing arrived
 * for a second (peers that keep their side alive send often enough that none is needed),
 * closed after 6 s of silence. So a peer that died or froze without its connection to this
 * node closing (the far end of a channel through a relay) is noticed here too, and the
 * portal sessions on that channel are aborted (resetting their sockets) instead of waiting
 * for data that will never come.
 */
export const ACCEPTED_CHANNEL_KEEP_ALIVE_MS = 2_000;
/** See {@link ACCEPTED_CHANNEL_KEEP_ALIVE_MS}. */
export const ACCEPTED_CHANNEL_KEEP_ALIVE_TIMEOUT_MS = 6_000;

/** Configuration section of the secure channel service. */
export const SECURE_CHANNELS_SECTION = 'secure-channels';

/**
 * Makes node `node`'s listener accept every authenticated peer, members or not (the
 * project node: enrollment comes from not-yet-members; its services check callers
 * themselves). Read when the node starts.
 */
export function setAcceptUnauthenticated(home: Home, node: string, accept: boolean): void {
  const config = new NodeConfigFile(home, node);
  const section = config.section(SECURE_CHANNELS_SECTION);
  config.setSection(SECURE_CHANNELS_SECTION, { ...(isObject(section) ? section : {}), acceptUnauthenticated: accept });
}

/**
 * True when node `node` accepts every authenticated peer: configured so, or a project node
 * (its configuration has an `authority` section; enrollees are not members yet).
 */
export function acceptsUnauthenticated(home: Home, node: string): boolean {
  const config = new NodeConfigFile(home, node);
  const section = config.section(SECURE_CHANNELS_SECTION);
  if (isObject(section) && typeof section.acceptUnauthenticated === 'boolean') return section.acceptUnauthenticated;
  return config.section(AUTHORITY_SECTION) !== undefined;
}

/**
 * The handshake check of a listener at `address` (resource type `secure-channel-listener`):
 * a policy for it decides when one exists; else the default rule, which is
 * {@link AUTHENTICATED_PEER} when `open` (a project node: enrollees hold no credential yet)
 * and the node's own-project rule otherwise. Refusals are recorded in the denial log.
 */
export function listenerAuthorize(policy: NodePolicy, address: string, open: boolean): (peer: PeerInfo) => boolean {
  const resource = { type: 'secure-channel-listener', name: address };
  return open ? (peer) => policy.authorize(resource, 'handshake', peer, AUTHENTICATED_PEER) : (peer) => policy.authorize(resource, 'handshake', peer);
}

/**
 * Secure channels of a node: a listener at `api` whose handshakes are decided by the
 * policy of resource type `secure-channel-listener` (name `api`; default: a credential
 * from the authority of the node's own project). With `acceptUnauthenticated` (a project node) the default
 * admits any authenticated peer instead; a policy, when present, still decides. Control methods `secure-channel.create { to }`,
 * `secure-channel.list`, `secure-channel.delete { address }`. A new node credential is
 * pushed to every open channel.
 */
export const secureChannelsService: DaemonService = {
  name: SECURE_CHANNELS_SECTION,
  async start(ctx) {
    const { credentials, node } = ctx;
    const registry = SecureChannelRegistry.of(node);
    const open = acceptsUnauthenticated(ctx.home, ctx.name);
    const listener = await SecureChannelListener.start(node, {
      ...nodeChannelOptions(ctx),
      ...listenerLimits(ctx.config.read().limits ?? {}),
      keepAliveMs: ACCEPTED_CHANNEL_KEEP_ALIVE_MS,
      keepAliveTimeoutMs: ACCEPTED_CHANNEL_KEEP_ALIVE_TIMEOUT_MS,
      // Pending handshakes are bounded per remote IP address (TCP) or channel peer.
      handshakeSource: (message) => ctx.transports.sourceOf(message) ?? defaultHandshakeSource(message),
      authorize: listenerAuthorize(ctx.policy, DEFAULT_LISTENER_ADDRESS, open),
      // Revoked identities are refused whatever the listener's policy says (on a project
      // node, except those of its own authority: it answers them itself).
      refusePeer: revokedPeerCheck(ctx, { type: 'secure-channel-listener', name: DEFAULT_LISTENER_ADDRESS }, 'handshake', { exceptOwnAuthority: true }),
    });
    ctx.onStop(async () => {
      await listener.stop();
      await registry.closeAll();
    });
    ctx.metrics.provide('listeners', () => [{ address: listener.address, stats: listener.stats, running: () => node.hasWorker(listener.address) }]);
    const unsubscribe = credentials.onCredential(() => {
      const sent = registry.presentCredential();
      ctx.logger.info({ channels: sent }, 'node credential pushed to open secure channels');
    });
    ctx.onStop(unsubscribe);

    const view = (info: SecureChannelInfo): SecureChannelView => ({
      address: info.address, peer: info.peer, role: info.role, route: formatRoute(info.route),
      createdAt: new Date(info.createdAt).toISOString(),
      attributes: credentials.attributes.peerAttributes(info.peer).attributes,
      ...purposeOf(info.address),
      passThrough: passThroughOf(info.address),
    });
    const passThroughOf = (address: string): SecureChannelView['passThrough'] => {
      const channel = registry.get(address);
      return { enabled: channel?.passThrough ?? false, framesIn: channel?.stats.passThroughIn ?? 0, framesOut: channel?.stats.passThroughOut ?? 0 };
    };
    const purposeOf = (address: string): { purpose?: string } => {
      const purpose = ctx.channels.purposeOf(address);
      return purpose === undefined ? {} : { purpose };
    };
    ctx.api.register('secure-channel.create', async ({ to }, { signal }): Promise<SecureChannelView> => {
      const route = ctx.parseRoute(to);
      if (route.length === 0) throw new InvalidInputError('routing', 'route is empty');
      const channel = await ctx.channels.openOnce(route, { signal });
      const info = registry.list().find((c) => c.address === channel.address);
      if (!info) throw new NotFoundError('channel', 'the secure channel closed right after it opened');
      return view(info);
    });
    ctx.api.register('secure-channel.list', () => ({
      listener: { address: listener.address, acceptUnauthenticated: open, ...listener.stats },
      channels: registry.list().map(view),
    }));
    ctx.api.register('secure-channel.delete', async ({ address }, { signal }) => {
      if (!(await registry.close(address, { signal }))) throw new NotFoundError('channel', `no secure channel '${address}' on node '${ctx.name}'`);
      return { deleted: address };
    });
  },
};
