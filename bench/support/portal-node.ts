/**
 * One benchmark node process: a Node with TCP, WebSocket and UDP transports, and on request a secure
 * channel listener, outlets, inlets, secure channels, a relay service or a relay client.
 * The parent drives it through {@link portalNodeHandlers} (see bench-node.ts); routes
 * travel as route text (`/ip4/127.0.0.1/tcp/PORT/service/api`).
 */
import { Node } from '../../core/node/node.js';
import { allowAll } from '../../core/node/access-control.js';
import { tcpTransportKind } from '../../core/transport/tcp-transport.js';
import { TransportSet } from '../../core/transport/transport-set.js';
import { udpTransportKind } from '../../core/transport/udp-transport.js';
import { wsTransportKind } from '../../core/transport/ws-transport.js';
import { LOCAL, TCP, UDP, WS, local, udp } from '../../core/routing/address.js';
import { SecureChannelRegistry } from '../../core/channel/secure-channel-registry.js';
import { TcpInlet } from '../../core/portal/tcp-inlet.js';
import { TcpOutlet } from '../../core/portal/tcp-outlet.js';
import { RelayService } from '../../core/relay/relay-service.js';
import { RelayClient } from '../../core/relay/relay-client.js';
import { createSecureChannel } from '../../core/channel/create-secure-channel.js';
import { SecureChannelListener } from '../../core/channel/secure-channel-listener.js';
import type { SecureChannel } from '../../core/channel/secure-channel.js';
import type { SecureChannelOptions } from '../../core/channel/secure-channel-options.js';
import { Identity } from '../../core/identity/index.js';
import type { IdentityJSON } from '../../core/identity/index.js';
import type { PresentedCredential } from '../../core/credential/index.js';
import { parseRoute } from '../../core/routing/route.js';
import { InvalidInputError, TimeoutError } from '../../core/errors.js';
import { createBenchMember } from './bench-identity.js';
import { inletAuthorizeOutlet, outletAccessControl, relayAuthorizer } from './bench-policies.js';
import type { BenchMember } from './bench-identity.js';

/** Sessions one peer may hold at a bench outlet (the product's default is 256 per peer). */
const BENCH_MAX_SESSIONS_PER_PEER = 20_000;
import type { RpcHandlers } from './child-rpc.js';

/** Trust material the parent hands a node: the authority and this node's credential. */
export interface NodeTrust {
  readonly authority: IdentityJSON;
  readonly credential: PresentedCredential;
}

/** Counters the parent polls. */
export interface PortalNodeStatus {
  readonly inletSessions: number;
  readonly outletSessions: number;
  readonly outletSessionsOpened: number;
  readonly channels: number;
}

/** BENCH_PORTAL_WINDOW (bytes): the credit window of inlets and outlets, to study its effect; default the portal's own. */
function windowOption(): { window?: number } {
  const raw = process.env.BENCH_PORTAL_WINDOW;
  return raw ? { window: Number(raw) } : {};
}

/** Process memory after a full collection. */
export interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** Samples memory after two full collections (the child runs with --expose-gc). */
export function sampleMemory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** The state of one node process and the operations the parent may call on it. */
export function portalNodeHandlers(name: string): { handlers: RpcHandlers; cleanup: () => Promise<void> } {
  const node = new Node({ name });
  const transport = TransportSet.create(node, [tcpTransportKind, wsTransportKind, udpTransportKind]);
  const inlets: TcpInlet[] = [];
  const outlets: TcpOutlet[] = [];
  const channels: SecureChannel[] = [];
  const stoppers: Array<() => Promise<void>> = [];
  let member: BenchMember | undefined;
  let trust: { authority: Identity; credential: PresentedCredential } | undefined;
  const authorities = (): readonly string[] => (trust ? [trust.authority.identifier] : []);

  const channelOptions = (): SecureChannelOptions => {
    if (!member || !trust) throw new InvalidInputError('node', 'configure the node identity and trust first');
    const credential = trust.credential;
    return {
      identity: member.identity,
      secureChannelKey: member.secureChannelKey,
      credentials: () => credential,
      trustedAuthorities: new Map([[trust.authority.identifier, trust.authority]]),
      transport,
    };
  };

  const handlers = {
    ready: () => ({ pid: process.pid }),
    /** Creates the node identity; returns its public form for the authority. */
    identity: async (): Promise<IdentityJSON> => {
      member ??= await createBenchMember();
      return member.identity.toJSON();
    },
    trust: (args: NodeTrust) => {
      trust = { authority: Identity.fromJSON(args.authority), credential: args.credential };
      return {};
    },
    /** A listener of `transport` (default tcp) on loopback: `host:port`, or `ws://host:port/` for ws. */
    listen: async (args: { transport?: 'tcp' | 'ws' | 'udp' } = {}): Promise<{ address: string }> =>
      transport.get(args.transport === 'ws' ? WS : args.transport === 'udp' ? UDP : TCP).listen('127.0.0.1:0'),
    /** A secure channel listener at `api`; admits peers with a credential from the authority. */
    channelListener: async () => {
      const listener = await SecureChannelListener.start(node, { ...channelOptions(), maxPendingHandshakes: 256 });
      stoppers.push(() => listener.stop());
      return { address: listener.address };
    },
    channel: async (args: { route: string }): Promise<{ address: string }> => {
      const channel = await createSecureChannel(node, parseRoute(args.route), channelOptions());
      channels.push(channel);
      return { address: channel.address };
    },
    /** An outlet; with `policy`, guarded by the scenario's CEL policy, else open to anyone. */
    outlet: async (args: { target: string; address?: string; policy?: boolean }) => {
      const incoming = args.policy ? outletAccessControl(name, authorities) : allowAll;
      // All of a bench's sessions come from one peer (the idle row opens up to 10,000): the
      // per-peer session cap, a defence against one member exhausting the outlet, is lifted here.
      const outlet = new TcpOutlet(node, { target: args.target, incoming, maxSessionsPerPeer: BENCH_MAX_SESSIONS_PER_PEER, ...windowOption(), ...(args.address ? { address: args.address } : {}) });
      await outlet.start();
      outlets.push(outlet);
      stoppers.push(() => outlet.stop());
      return { address: outlet.address };
    },
    /** An inlet; with `policy`, it checks the outlet's identity with the scenario's CEL policy. */
    inlet: async (args: { route: string; policy?: boolean }): Promise<{ address: string }> => {
      const authorizeOutlet = args.policy ? inletAuthorizeOutlet(name, authorities) : () => true;
      const inlet = new TcpInlet(node, { listen: '127.0.0.1:0', outlet: parseRoute(args.route), authorizeOutlet, ...windowOption() });
      const started = await inlet.start();
      inlets.push(inlet);
      stoppers.push(() => inlet.stop());
      return started;
    },
    /** The relay service; credential holders from the authority may create and use relays (CEL). */
    relayService: async () => {
      const service = new RelayService(node, { authorize: relayAuthorizer(name, authorities) });
      await service.start();
      stoppers.push(() => service.stop());
      return { address: service.address };
    },
    relayClient: async (args: { name: string; route: string; timeoutMs?: number }) => {
      const client = new RelayClient(node, { name: args.name, route: parseRoute(args.route) });
      await client.start();
      stoppers.push(() => client.stop());
      const deadline = Date.now() + (args.timeoutMs ?? 10_000);
      while (!client.status().connected) {
        if (Date.now() > deadline) throw new TimeoutError('relay', `relay ${args.name} not registered: ${client.status().lastError ?? 'no reply'}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return { address: client.status().address };
    },
    /**
     * Direct path, connecting side: opens the direct lane of end-to-end channel `channel`,
     * connects over UDP to `address` (the peer's UDP listener) and, with `send`, moves the
     * channel's sending onto it (the peer's direct lane must be open by then).
     */
    direct: async (args: { channel: string; address: string; send?: boolean }) => {
      const channel = channels.find((c) => c.address === args.channel);
      if (!channel) throw new InvalidInputError('node', `no channel ${args.channel}`);
      await channel.openDirectLane();
      await transport.get(UDP).connect(args.address);
      if (args.send) channel.useDirect([udp(args.address), channel.peerDirectDecryptor]);
      return { address: channel.address };
    },
    /**
     * Direct path, accepting side: the newest responder channel running through channel
     * `through` (the relay client's) opens its direct lane and sends over the UDP connection
     * that came in from the peer.
     */
    directBack: async (args: { through: string }) => {
      const registry = SecureChannelRegistry.of(node);
      const found = registry.list().filter((c) => {
        const first = registry.get(c.address)?.route[0];
        return c.role === 'responder' && first?.type === LOCAL && first.value === args.through;
      }).pop();
      const channel = found === undefined ? undefined : registry.get(found.address);
      const connection = transport.connections().find((c) => c.transport === 'udp' && c.direction === 'incoming');
      if (!channel || !connection) throw new InvalidInputError('node', 'no end-to-end channel or no UDP connection for a direct path');
      await channel.openDirectLane();
      channel.useDirect([local(connection.workerAddress), channel.peerDirectDecryptor]);
      return { address: channel.address };
    },
    status: (): PortalNodeStatus => ({
      inletSessions: inlets.reduce((n, i) => n + i.status().sessions, 0),
      outletSessions: outlets.reduce((n, o) => n + o.status().sessions, 0),
      outletSessionsOpened: outlets.reduce((n, o) => n + o.status().sessionsOpened, 0),
      channels: channels.filter((c) => !c.isClosed).length,
    }),
    memory: (): MemorySample => sampleMemory(),
  };

  const cleanup = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    await node.stop();
  };
  return { handlers, cleanup };
}
