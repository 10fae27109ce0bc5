import { AbortedError, InvalidInputError, NotFoundError } from '../../../core/errors.js';
import { SecureChannelRegistry } from '../../../core/channel/secure-channel-registry.js';
import { parseHostPort } from '../../../core/transport/host-port.js';
import { newPortalCounters } from '../../../core/portal/portal-counters.js';
import { TcpInlet, type OutletRoute, type OutletRouteProvider } from '../../../core/portal/tcp-inlet.js';
import { assertRelayName } from '../../../core/relay/relay-message.js';
import { local, LOCAL } from '../../../core/routing/address.js';
import type { Route } from '../../../core/routing/message.js';
import type { TcpInletRecord, TcpInletView } from '../../api/tcp-inlet-view.js';
import { withIsoTimes } from '../../api/iso-time.js';
import { connectFirstHop } from '../connect-first-hop.js';
import { InletTable } from '../inlet-table.js';
import { savedInlets, TCP_INLETS_SECTION } from '../../home/saved-config.js';
import { revokedPeerCheck } from '../revoked-peers.js';
import type { DaemonContext, DaemonService } from '../service.js';
import { projectFor } from './node-channels.js';
import { DEFAULT_OUTLET_ADDRESS } from './tcp-outlets.js';
import { DirectPaths } from '../direct-paths.js';
import type { InletPathView } from '../../api/tcp-inlet-view.js';

export { TCP_INLETS_SECTION };

interface Entry { record: TcpInletRecord; inlet?: TcpInlet; error?: string; /** The end-to-end channel last used (`via`). */ channel?: string }

function readRecords(ctx: DaemonContext): TcpInletRecord[] {
  return savedInlets(ctx.config.section(TCP_INLETS_SECTION));
}

/**
 * The route provider of an inlet. `via`: the end-to-end channel to the outlet's node
 * through the relay, inside the node's channel to its project. `to` ending at a secure
 * channel listener (`.../service/api`): a channel there. Otherwise `to` literally. The
 * channels are the node's shared ones (ctx.channels), re-opened after a failure, so the
 * inlet recovers by itself; each route through a channel (also `/secure/sc-.../...`)
 * comes with the signal that its channel closed. A literal route starting with a TCP hop
 * is connected first, so a refused address fails the session at once.
 */
function routeProvider(ctx: DaemonContext, record: TcpInletRecord, entry?: Entry): OutletRouteProvider {
  return async ({ signal }): Promise<OutletRoute | Route> => {
    if (record.via !== undefined) {
      const project = projectFor(ctx);
      const e2e = await ctx.channels.throughRelay(project, record.via, { signal });
      if (entry !== undefined) entry.channel = e2e.address;
      // `--direct`: the channel moves onto a direct UDP path once one answers (sessions keep running meanwhile).
      if (record.direct === true) DirectPaths.of(ctx)?.ensure(e2e, project);
      return { route: [local(e2e.address), local(record.outlet)], closed: ctx.channels.closedSignal(e2e) };
    }
    const route = ctx.parseRoute(record.to!);
    const last = route[route.length - 1];
    if (last?.type === LOCAL && last.value === 'api') {
      const channel = await ctx.channels.toListener(route, { signal });
      return { route: [local(channel.address), local(record.outlet)], closed: ctx.channels.closedSignal(channel) };
    }
    const first = route[0];
    const through = first?.type === LOCAL ? SecureChannelRegistry.of(ctx.node).get(first.value) : undefined;
    if (through !== undefined && through.address === first!.value) return { route, closed: ctx.channels.closedSignal(through) };
    await connectFirstHop(ctx.transports, route, { signal });
    return route;
  };
}

/** The path of an inlet's end-to-end channel: what the direct-path manager says, else the relay. */
function inletPath(ctx: DaemonContext, channel: string): InletPathView {
  const view = DirectPaths.of(ctx)?.view(channel);
  if (view === undefined) return { path: 'relay' };
  return {
    path: view.path, since: new Date(view.since).toISOString(),
    ...(view.peerAddress === undefined ? {} : { peerAddress: view.peerAddress }), ...(view.reason === undefined ? {} : { reason: view.reason }),
  };
}

/**
 * TCP inlets of a node (`tcp-inlet.create { from, via | to, outlet?, allow? }`, `.list`,
 * `.show { name }`, `.delete { name }`). The inlet's decision on the outlet side's peer is
 * the node policy for resource `{ type: 'tcp-inlet', name: LISTEN }`, action `connect`;
 * `allow` stores that resource's policy. Persisted and restored when the node starts.
 */
export const tcpInletsService: DaemonService = {
  name: TCP_INLETS_SECTION,
  async start(ctx) {
    /** Starts an inlet for `entry`; its policy name and route follow `entry.record` (updated once the port is known). */
    const launch = async (entry: Entry): Promise<TcpInlet> => {
      const inlet = new TcpInlet(ctx.node, {
        listen: entry.record.listen, logger: ctx.logger,
        outlet: (options) => routeProvider(ctx, entry.record, entry)(options),
        // Revoked identities are refused whatever the inlet's policy says.
        authorizeOutlet: (peer) => !revokedPeerCheck(ctx, { type: 'tcp-inlet', name: entry.record.listen }, 'connect')(peer)
          && ctx.policy.authorize({ type: 'tcp-inlet', name: entry.record.listen }, 'connect', peer),
      });
      await inlet.start();
      return inlet;
    };
    const table = new InletTable<TcpInletRecord, TcpInlet, Entry>(ctx, { what: 'tcp inlet', section: TCP_INLETS_SECTION, resourceType: 'tcp-inlet', launch });
    const inlets = table.entries;
    const view = (name: string): TcpInletView => {
      const entry = table.get(name);
      return {
        name, ...entry.record, ...(entry.inlet ? { status: withIsoTimes(entry.inlet.status(), ['since', 'lastErrorAt', 'recoveredAt']) } : {}), ...(entry.error ? { error: entry.error } : {}),
        ...(entry.record.via !== undefined && entry.channel !== undefined ? { path: inletPath(ctx, entry.channel) } : {}),
      };
    };
    await table.restore(readRecords(ctx), (record) => ({ record }));
    // An inlet that could not start shows as not running (and the node as not ready).
    ctx.metrics.provide('inlets', () => [...inlets.values()].map((e) => e.inlet?.status()
      ?? { ...newPortalCounters(), listen: e.record.listen, running: false, connected: false, since: 0, sessions: 0 }));

    ctx.api.register('tcp-inlet.create', async (params, { signal }): Promise<TcpInletView> => {
      const { from, via, to, allow, direct } = params;
      if (direct === true && via === undefined) throw new InvalidInputError('cli', '--direct needs --via: a direct path replaces the relay between two members');
      const outlet = params.outlet ?? DEFAULT_OUTLET_ADDRESS;
      parseHostPort(from, { what: 'inlet address', allowZero: true, origin: 'portal' });
      if (via !== undefined) assertRelayName(via);
      if (to !== undefined && ctx.parseRoute(to).length === 0) throw new InvalidInputError('cli', 'to must be a route');
      table.assertFree(from);
      if (via !== undefined) {
        try {
          projectFor(ctx);
        } catch (cause) {
          throw new NotFoundError('portal', `tcp-inlet --via ${via} goes through a relay of this node's project, but node '${ctx.name}' belongs to no project (enroll it first: symbolon project enroll TICKET, or give the outlet's route with --to)`, { cause });
        }
      }
      const entry: Entry = {
        record: { listen: from, outlet, ...(via !== undefined ? { via } : { to: to! }), ...(direct === true ? { direct: true } : {}), createdAt: new Date().toISOString() },
      };
      const listen = await table.create(entry, allow, signal);
      ctx.logger.info({ inlet: listen, via, to }, 'tcp inlet created');
      const warnings = via === undefined ? [] : await checkRelay(ctx, via, signal);
      for (const warning of warnings) ctx.logger.warn({ inlet: listen, via }, warning);
      return { ...view(listen), ...(warnings.length > 0 ? { warnings } : {}) };
    });
    ctx.api.register('tcp-inlet.list', () => ({ inlets: [...inlets.keys()].map(view) }));
    ctx.api.register('tcp-inlet.show', async ({ name }) => view(await table.known(name)));
    ctx.api.register('tcp-inlet.delete', async (params, { signal }) => {
      const name = await table.delete(params.name, signal);
      ctx.logger.info({ inlet: name }, 'tcp inlet deleted');
      return { deleted: name };
    });
  },
};

/** How long `tcp-inlet create --via` waits to see whether the relay answers, in ms. */
const RELAY_CHECK_MS = 5_000;

/**
 * Opens (or reuses) the end-to-end channel through relay `via` once, to tell the operator
 * at create time what would close every connection: no such relay, an unreachable project
 * node, a refused channel. Returns warnings; never throws.
 */
async function checkRelay(ctx: DaemonContext, via: string, signal: AbortSignal): Promise<string[]> {
  let project;
  try {
    project = projectFor(ctx);
    await ctx.channels.throughRelay(project, via, { signal: AbortSignal.any([signal, AbortSignal.timeout(RELAY_CHECK_MS)]) });
    return [];
  } catch (error) {
    const timedOut = error instanceof AbortedError && !signal.aborted;
    const reason = timedOut ? `no answer within ${RELAY_CHECK_MS / 1000} s` : error instanceof Error ? error.message : String(error);
    if (error instanceof NotFoundError) {
      return [`project '${project?.name ?? '?'}' has no relay '${via}' now: connections are closed at once until the outlet's node runs 'symbolon relay create ${via}'`];
    }
    return [`cannot reach the outlet through relay '${via}' now (${reason}); the inlet tries again for each new connection`];
  }
}

function nameParam(params: Record<string, unknown>): string {
  if (typeof params.name !== 'string') throw new InvalidInputError('cli', 'give the inlet by its listen address HOST:PORT');
  return params.name;
}
