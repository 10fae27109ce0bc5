import { AlreadyExistsError, InvalidInputError, NotFoundError } from '../../../core/errors.js';
import { TcpOutlet } from '../../../core/portal/tcp-outlet.js';
import { parseHostPort } from '../../../core/transport/host-port.js';
import { MAX_ADDRESS_LENGTH } from '../../../core/routing/address.js';
import type { TcpOutletRecord, TcpOutletView } from '../../api/tcp-outlet-view.js';
import { withIsoTimes } from '../../api/iso-time.js';
import { savedOutlets, TCP_OUTLETS_SECTION } from '../../home/saved-config.js';
import { refusingRevoked, revokedPeerCheck } from '../revoked-peers.js';
import type { DaemonContext, DaemonService } from '../service.js';

export { TCP_OUTLETS_SECTION };

/** Default worker address of an outlet. */
export const DEFAULT_OUTLET_ADDRESS = 'outlet';

function readRecords(ctx: DaemonContext): TcpOutletRecord[] {
  return savedOutlets(ctx.config.section(TCP_OUTLETS_SECTION));
}

function checkAddress(address: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(address) || address.length > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('cli', 'an outlet address is letters, digits and _ . : - (e.g. outlet, postgres)');
  }
  return address;
}

/**
 * TCP outlets of a node (`tcp-outlet.create { target, address?, allow?, maxSessionsPerPeer?, idleTimeoutSeconds? }`, `.list`, `.show`,
 * `.delete { address }`). Each outlet's incoming access control is the node policy for
 * resource `{ type: 'tcp-outlet', name: ADDRESS }`, action `connect`; `allow` stores that
 * resource's policy. Outlets are persisted and restored when the node starts.
 */
export const tcpOutletsService: DaemonService = {
  name: TCP_OUTLETS_SECTION,
  async start(ctx) {
    const outlets = new Map<string, { record: TcpOutletRecord; outlet: TcpOutlet }>();
    const persist = (): void => {
      ctx.config.setSection(TCP_OUTLETS_SECTION, { outlets: [...outlets.values()].map((o) => o.record) });
    };
    const launch = async (record: TcpOutletRecord): Promise<TcpOutlet> => {
      const outlet = new TcpOutlet(ctx.node, {
        target: record.target, address: record.address, logger: ctx.logger,
        ...(record.maxSessionsPerPeer === undefined ? {} : { maxSessionsPerPeer: record.maxSessionsPerPeer }),
        ...(record.idleTimeoutSeconds === undefined ? {} : { idleTimeoutMs: record.idleTimeoutSeconds * 1000 }),
        // Revoked identities are refused whatever the outlet's policy says.
        incoming: refusingRevoked(ctx.policy.accessControl({ type: 'tcp-outlet', name: record.address }, 'connect'), revokedPeerCheck(ctx, { type: 'tcp-outlet', name: record.address }, 'connect')),
      });
      await outlet.start();
      outlets.set(record.address, { record, outlet });
      return outlet;
    };
    const view = (address: string): TcpOutletView => {
      const entry = outlets.get(address);
      if (!entry) throw new NotFoundError('portal', `no tcp outlet '${address}' on node '${ctx.name}'`);
      return { ...entry.record, status: withIsoTimes(entry.outlet.status(), ['lastErrorAt', 'recoveredAt']) };
    };
    for (const record of readRecords(ctx)) {
      try {
        await launch(record);
      } catch (err) {
        ctx.logger.error({ outlet: record.address, err: err instanceof Error ? err.message : String(err) }, 'cannot restore tcp outlet');
      }
    }
    ctx.onStop(async () => {
      await Promise.all([...outlets.values()].map((o) => o.outlet.stop()));
    });
    ctx.metrics.provide('outlets', () => [...outlets.values()].map((o) => o.outlet.status()));

    ctx.api.register('tcp-outlet.create', async (params, { signal }): Promise<TcpOutletView> => {
      const address = checkAddress(params.address ?? DEFAULT_OUTLET_ADDRESS);
      const { target, allow, maxSessionsPerPeer, idleTimeoutSeconds } = params;
      parseHostPort(target, { what: 'outlet target', origin: 'portal' });
      if (outlets.has(address) || ctx.node.hasWorker(address)) throw new AlreadyExistsError('portal', `address '${address}' is already in use on node '${ctx.name}'`);
      if (allow !== undefined) await ctx.policy.policies.create({ kind: 'resource', name: address }, allow, { signal });
      const record: TcpOutletRecord = {
        address, target, ...(allow !== undefined ? { allow } : {}),
        ...(maxSessionsPerPeer !== undefined ? { maxSessionsPerPeer } : {}),
        ...(idleTimeoutSeconds !== undefined ? { idleTimeoutSeconds } : {}),
        createdAt: new Date().toISOString(),
      };
      await launch(record);
      persist();
      ctx.logger.info({ outlet: address, target }, 'tcp outlet created');
      return view(address);
    });
    ctx.api.register('tcp-outlet.list', () => ({ outlets: [...outlets.keys()].map(view) }));
    ctx.api.register('tcp-outlet.show', (params) => view(checkAddress(params.address ?? DEFAULT_OUTLET_ADDRESS)));
    ctx.api.register('tcp-outlet.delete', async (params, { signal }) => {
      const address = checkAddress(params.address ?? DEFAULT_OUTLET_ADDRESS);
      const entry = outlets.get(address);
      if (!entry) throw new NotFoundError('portal', `no tcp outlet '${address}' on node '${ctx.name}'`);
      outlets.delete(address);
      persist();
      await entry.outlet.stop();
      if (entry.record.allow !== undefined && ctx.policy.policies.policyFor({ type: 'tcp-outlet', name: address })?.expression === entry.record.allow) {
        await ctx.policy.policies.delete({ kind: 'resource', name: address }, { signal }).catch(() => undefined);
      }
      ctx.logger.info({ outlet: address }, 'tcp outlet deleted');
      return { deleted: address };
    });
  },
};
