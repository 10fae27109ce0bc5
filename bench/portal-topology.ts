/**
 * Builds the portal benchmark's nodes, each in its own process: an inlet node, an outlet
 * node in front of the sink, and a project node running the relay service. Inlets on the
 * inlet node, one per path:
 * - `plain`: inlet -> outlet over the TCP transport, no secure channel (portal overhead only);
 * - `channel`: inlet -> outlet over one secure channel, both ends guarded by the scenario's
 *   CEL policies (outlet: `subject.component == "analysis"`, inlet: `... == "db"`);
 * - `channel-ws`, `channel-udp`: the same channel over the WebSocket or the UDP transport;
 * - `direct`: an end-to-end channel made through the relay like `relay`'s, then moved onto a
 *   direct UDP path between the inlet and outlet nodes (the project node no longer carries it);
 * - `relay`: the outlet node keeps a channel to the project and a relay registered there;
 *   the inlet node opens a channel to the project and, inside it and through the relay,
 *   an end-to-end channel to the outlet node (three channels); same policies, and the relay
 *   decides each message by CEL too.
 * A path that cannot be built is left out and its reason reported in `missing`.
 */
import { local, tcp, udp, ws } from '../core/routing/address.js';
import type { Address } from '../core/routing/address.js';
import { formatRoute } from '../core/routing/route.js';
import { BenchChild } from './support/child-rpc.js';
import type { BenchAuthority } from './support/bench-identity.js';
import type { IdentityJSON } from '../core/identity/index.js';

/** The portal paths a topology may offer. */
export type PortalPath = 'plain' | 'channel' | 'channel-ws' | 'channel-udp' | 'relay' | 'direct';

/** The running nodes and the inlet address of each path that could be built. */
export interface PortalTopology {
  readonly inlets: Partial<Record<PortalPath, string>>;
  /** Why a path is absent, by path. */
  readonly missing: Partial<Record<PortalPath, string>>;
  readonly inletNode: BenchChild;
  readonly outletNode: BenchChild;
  /** The project node (relay service), when the relay path was requested. */
  readonly projectNode?: BenchChild;
  /** Stops every node process. */
  stop(): Promise<void>;
}

/** Inputs of {@link startPortalTopology}. */
export interface PortalTopologyOptions {
  /** The sink's `HOST:PORT` (the outlet's target). */
  readonly sink: string;
  readonly authority: BenchAuthority;
  /** Which paths to build (default all). */
  readonly paths?: readonly PortalPath[];
  readonly signal?: AbortSignal;
}

const RELAY_NAME = 'bench';
/** The outlet behind secure channels, guarded by the scenario's CEL policy. */
const SECURE_OUTLET = 'outlet_secure';

function route(...hops: Address[]): string {
  return formatRoute(hops);
}

/** Gives `node` an identity and a credential from `authority`. */
async function enroll(node: BenchChild, authority: BenchAuthority, attributes: Record<string, string>): Promise<void> {
  const identity = await node.call<IdentityJSON>('identity');
  const credential = await authority.issue(identity, attributes);
  await node.call('trust', { authority: authority.identity, credential });
}

async function attempt(path: PortalPath, missing: PortalTopology['missing'], build: () => Promise<string>): Promise<string | undefined> {
  try {
    return await build();
  } catch (error) {
    missing[path] = error instanceof Error ? error.message : String(error);
    return undefined;
  }
}

/** Starts the node processes and builds the requested paths. */
export async function startPortalTopology(options: PortalTopologyOptions): Promise<PortalTopology> {
  const paths = new Set(options.paths ?? ['plain', 'channel', 'channel-ws', 'channel-udp', 'relay', 'direct']);
  const { signal, authority } = options;
  const started: BenchChild[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map((c) => c.stop()));
  };
  try {
    const needProject = paths.has('relay') || paths.has('direct');
    const [inletNode, outletNode, projectNode] = await Promise.all([
      BenchChild.start('node', { signal }),
      BenchChild.start('node', { signal }),
      needProject ? BenchChild.start('node', { signal }) : Promise.resolve(undefined),
    ]);
    started.push(inletNode, outletNode, ...(projectNode ? [projectNode] : []));
    const inlets: PortalTopology['inlets'] = {};
    const missing: PortalTopology['missing'] = {};
    const outletAt = (await outletNode.call<{ address: string }>('listen')).address;
    await outletNode.call('outlet', { target: options.sink });
    const withChannels = paths.has('channel') || paths.has('channel-ws') || paths.has('channel-udp') || paths.has('relay');
    let channelsReady = false;
    if (withChannels) {
      try {
        await Promise.all([
          enroll(inletNode, authority, { component: 'analysis' }),
          enroll(outletNode, authority, { component: 'db' }),
          ...(projectNode ? [enroll(projectNode, authority, { component: 'project' })] : []),
        ]);
        await outletNode.call('channelListener');
        await outletNode.call('outlet', { target: options.sink, address: SECURE_OUTLET, policy: true });
        channelsReady = true;
      } catch (error) {
        const reason = `secure channels unavailable: ${error instanceof Error ? error.message : String(error)}`;
        for (const p of ['channel', 'channel-ws', 'channel-udp', 'relay', 'direct'] as const) if (paths.has(p)) missing[p] = reason;
      }
    }

    if (paths.has('plain')) {
      const a = await attempt('plain', missing, async () =>
        (await inletNode.call<{ address: string }>('inlet', { route: route(tcp(outletAt), local('outlet')) })).address);
      if (a) inlets.plain = a;
    }
    if (paths.has('channel') && channelsReady) {
      const a = await attempt('channel', missing, async () => {
        const channel = await inletNode.call<{ address: string }>('channel', { route: route(tcp(outletAt), local('api')) });
        return (await inletNode.call<{ address: string }>('inlet', { route: route(local(channel.address), local(SECURE_OUTLET)), policy: true })).address;
      });
      if (a) inlets.channel = a;
    }
    for (const path of ['channel-ws', 'channel-udp'] as const) {
      if (!paths.has(path) || !channelsReady) continue;
      const a = await attempt(path, missing, async () => {
        const kind = path === 'channel-ws' ? 'ws' : 'udp';
        const at = (await outletNode.call<{ address: string }>('listen', { transport: kind })).address;
        const hop = kind === 'ws' ? ws(at) : udp(at);
        const channel = await inletNode.call<{ address: string }>('channel', { route: route(hop, local('api')) });
        return (await inletNode.call<{ address: string }>('inlet', { route: route(local(channel.address), local(SECURE_OUTLET)), policy: true })).address;
      });
      if (a) inlets[path] = a;
    }
    if (projectNode && channelsReady) {
      const a = await attempt('relay', missing, async () => {
        const projectAt = (await projectNode.call<{ address: string }>('listen')).address;
        await projectNode.call('channelListener');
        await projectNode.call('relayService');
        const up = await outletNode.call<{ address: string }>('channel', { route: route(tcp(projectAt), local('api')) });
        const relay = await outletNode.call<{ address: string }>('relayClient', { name: RELAY_NAME, route: route(local(up.address), local('relay')) });
        const toProject = await inletNode.call<{ address: string }>('channel', { route: route(tcp(projectAt), local('api')) });
        const endToEnd = await inletNode.call<{ address: string }>('channel', {
          route: route(local(toProject.address), local(relay.address), local('api')),
        });
        const relayInlet = (await inletNode.call<{ address: string }>('inlet', { route: route(local(endToEnd.address), local(SECURE_OUTLET)), policy: true })).address;
        if (paths.has('direct')) {
          const d = await attempt('direct', missing, async () => {
            const udpAt = (await outletNode.call<{ address: string }>('listen', { transport: 'udp' })).address;
            const second = await inletNode.call<{ address: string }>('channel', {
              route: route(local(toProject.address), local(relay.address), local('api')),
            });
            await inletNode.call('direct', { channel: second.address, address: udpAt });
            await outletNode.call('directBack', { through: up.address });
            await inletNode.call('direct', { channel: second.address, address: udpAt, send: true });
            return (await inletNode.call<{ address: string }>('inlet', { route: route(local(second.address), local(SECURE_OUTLET)), policy: true })).address;
          });
          if (d) inlets.direct = d;
        }
        return relayInlet;
      });
      if (a) inlets.relay = a;
    }
    return { inlets, missing, inletNode, outletNode, ...(projectNode ? { projectNode } : {}), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
