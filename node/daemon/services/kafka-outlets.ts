import { AlreadyExistsError, InvalidInputError, NotFoundError } from '../../../core/errors.js';
import { KafkaOutlet } from '../../../core/kafka/kafka-outlet.js';
import { parseHostPort } from '../../../core/transport/host-port.js';
import { MAX_ADDRESS_LENGTH } from '../../../core/routing/address.js';
import { withIsoTimes } from '../../api/iso-time.js';
import type { KafkaOutletRecord, KafkaOutletView } from '../../api/kafka-view.js';
import { refusingRevoked, revokedPeerCheck } from '../revoked-peers.js';
import type { DaemonContext, DaemonService } from '../service.js';

/** The node configuration section of Kafka outlets. */
export const KAFKA_OUTLETS_SECTION = 'kafka-outlets';
/** Where `--produce-allow` is stored: the node's policy for every topic (resource type `kafka-produce`). */
const PRODUCE_SCOPE = { kind: 'resource-type', type: 'kafka-produce' } as const;
/** Default worker address of a Kafka outlet. */
export const DEFAULT_KAFKA_OUTLET_ADDRESS = 'kafka';

function checkAddress(address: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(address) || address.length > MAX_ADDRESS_LENGTH - 24) {
    throw new InvalidInputError('cli', 'a kafka outlet address is letters, digits and _ . : - (e.g. kafka)');
  }
  return address;
}

function readRecords(ctx: DaemonContext): KafkaOutletRecord[] {
  const section = ctx.config.section(KAFKA_OUTLETS_SECTION) as { outlets?: unknown } | undefined;
  if (!section || !Array.isArray(section.outlets)) return [];
  return section.outlets.filter((o): o is KafkaOutletRecord => typeof o === 'object' && o !== null && typeof (o as KafkaOutletRecord).address === 'string' && typeof (o as KafkaOutletRecord).bootstrap === 'string');
}

/**
 * Kafka outlets of a node (`kafka-outlet.create { bootstrap, address?, allow?, produceAllow? }`,
 * `.list`, `.show`, `.delete`). Every worker of an outlet (bootstrap and brokers) is guarded by
 * the node policy for resource `{ type: 'kafka-outlet', name: ADDRESS }`, action `connect`;
 * revoked identities are refused whatever it says. Every Produce request is checked topic by
 * topic against resource `{ type: 'kafka-produce', name: TOPIC, topic }`, action `produce`,
 * for the session's peer (`produceAllow` stores the node's `kafka-produce` type policy).
 * Persisted and restored at start.
 */
export const kafkaOutletsService: DaemonService = {
  name: KAFKA_OUTLETS_SECTION,
  async start(ctx) {
    const outlets = new Map<string, { record: KafkaOutletRecord; outlet: KafkaOutlet }>();
    const persist = (): void => {
      ctx.config.setSection(KAFKA_OUTLETS_SECTION, { outlets: [...outlets.values()].map((o) => o.record) });
    };
    const launch = async (record: KafkaOutletRecord): Promise<void> => {
      const resource = { type: 'kafka-outlet', name: record.address };
      const outlet = new KafkaOutlet(ctx.node, {
        bootstrap: record.bootstrap, address: record.address, logger: ctx.logger,
        incoming: refusingRevoked(ctx.policy.accessControl(resource, 'connect'), revokedPeerCheck(ctx, resource, 'connect')),
        authorizeProduce: (peer, topic) => {
          const produce = { type: 'kafka-produce', name: topic, topic };
          return !revokedPeerCheck(ctx, produce, 'produce')(peer) && ctx.policy.authorize(produce, 'produce', peer);
        },
      });
      await outlet.start();
      outlets.set(record.address, { record, outlet });
    };
    const view = (address: string): KafkaOutletView => {
      const entry = outlets.get(address);
      if (!entry) throw new NotFoundError('portal', `no kafka outlet '${address}' on node '${ctx.name}'`);
      return { ...entry.record, status: withIsoTimes(entry.outlet.status(), ['lastErrorAt', 'refreshedAt']) };
    };
    for (const record of readRecords(ctx)) {
      try {
        await launch(record);
      } catch (err) {
        ctx.logger.error({ outlet: record.address, err: err instanceof Error ? err.message : String(err) }, 'cannot restore kafka outlet');
      }
    }
    ctx.onStop(async () => {
      await Promise.all([...outlets.values()].map((o) => o.outlet.stop()));
    });

    ctx.api.register('kafka-outlet.create', async (params, { signal }): Promise<KafkaOutletView> => {
      const address = checkAddress(params.address ?? DEFAULT_KAFKA_OUTLET_ADDRESS);
      const { bootstrap, allow, produceAllow } = params;
      parseHostPort(bootstrap, { what: 'kafka bootstrap server', origin: 'portal' });
      if (outlets.has(address) || ctx.node.hasWorker(address)) throw new AlreadyExistsError('portal', `address '${address}' is already in use on node '${ctx.name}'`);
      if (allow !== undefined) await ctx.policy.policies.create({ kind: 'resource', name: address }, allow, { signal });
      if (produceAllow !== undefined) await ctx.policy.policies.create(PRODUCE_SCOPE, produceAllow, { signal });
      const record: KafkaOutletRecord = {
        address, bootstrap, ...(allow !== undefined ? { allow } : {}), ...(produceAllow !== undefined ? { produceAllow } : {}), createdAt: new Date().toISOString(),
      };
      await launch(record);
      persist();
      ctx.logger.info({ outlet: address, bootstrap }, 'kafka outlet created');
      return view(address);
    });
    ctx.api.register('kafka-outlet.list', () => ({ outlets: [...outlets.keys()].map(view) }));
    ctx.api.register('kafka-outlet.show', (params) => view(checkAddress(params.address ?? DEFAULT_KAFKA_OUTLET_ADDRESS)));
    ctx.api.register('kafka-outlet.delete', async (params, { signal }) => {
      const address = checkAddress(params.address ?? DEFAULT_KAFKA_OUTLET_ADDRESS);
      const entry = outlets.get(address);
      if (!entry) throw new NotFoundError('portal', `no kafka outlet '${address}' on node '${ctx.name}'`);
      outlets.delete(address);
      persist();
      await entry.outlet.stop();
      if (entry.record.allow !== undefined && ctx.policy.policies.policyFor({ type: 'kafka-outlet', name: address })?.expression === entry.record.allow) {
        await ctx.policy.policies.delete({ kind: 'resource', name: address }, { signal }).catch(() => undefined);
      }
      const produceAllow = entry.record.produceAllow;
      if (produceAllow !== undefined && ![...outlets.values()].some((o) => o.record.produceAllow === produceAllow)
        && ctx.policy.policies.policyFor({ type: 'kafka-produce', name: '' })?.expression === produceAllow) {
        await ctx.policy.policies.delete(PRODUCE_SCOPE, { signal }).catch(() => undefined);
      }
      ctx.logger.info({ outlet: address }, 'kafka outlet deleted');
      return { deleted: address };
    });
  },
};
