import { InvalidInputError, NotFoundError } from '../../../core/errors.js';
import { KafkaInlet, type KafkaTarget } from '../../../core/kafka/kafka-inlet.js';
import { brokerOutletAddress } from '../../../core/kafka/kafka-outlet.js';
import { KEY_SERVICE_ADDRESS, KeyClient } from '../../../core/kafka/key-exchange.js';
import { DEFAULT_KEY_RETENTION_MS, DEFAULT_KEY_ROTATION_MS, type DataKeyRing, type KeyPeriods } from '../../../core/kafka/data-key-ring.js';
import type { OutletRoute } from '../../../core/portal/tcp-inlet.js';
import { assertRelayName } from '../../../core/relay/relay-message.js';
import { local, LOCAL } from '../../../core/routing/address.js';
import { parseHostPort } from '../../../core/transport/host-port.js';
import { withIsoTimes } from '../../api/iso-time.js';
import type { KafkaInletRecord, KafkaInletView } from '../../api/kafka-view.js';
import { InletTable, type InletEntry } from '../inlet-table.js';
import { revokedPeerCheck } from '../revoked-peers.js';
import type { DaemonContext, DaemonService } from '../service.js';
import { startKafkaKeys } from './kafka-keys.js';
import { DEFAULT_KAFKA_OUTLET_ADDRESS } from './kafka-outlets.js';
import { projectFor } from './node-channels.js';

/** The node configuration section of Kafka inlets. */
export const KAFKA_INLETS_SECTION = 'kafka-inlets';

type Entry = InletEntry<KafkaInletRecord, KafkaInlet>;

function readRecords(ctx: DaemonContext): KafkaInletRecord[] {
  const section = ctx.config.section(KAFKA_INLETS_SECTION) as { inlets?: unknown } | undefined;
  if (!section || !Array.isArray(section.inlets)) return [];
  return section.inlets.filter((o): o is KafkaInletRecord => typeof o === 'object' && o !== null && typeof (o as KafkaInletRecord).listen === 'string' && typeof (o as KafkaInletRecord).outlet === 'string');
}

/** The key periods an inlet record asks for (the ring's defaults where it gives none). */
function periodsOf(record: KafkaInletRecord): KeyPeriods {
  return {
    ...(record.keyRotationSeconds !== undefined ? { rotationMs: record.keyRotationSeconds * 1000 } : {}),
    ...(record.keyRetentionSeconds !== undefined ? { retentionMs: record.keyRetentionSeconds * 1000 } : {}),
  };
}

/**
 * The route to the worker `address` on the outlet's node: through the end-to-end channel
 * via the relay (`via`), or through a channel to the listener `to` names (`.../service/api`).
 */
async function routeTo(ctx: DaemonContext, record: KafkaInletRecord, address: string, signal: AbortSignal): Promise<OutletRoute> {
  if (record.via !== undefined) {
    const e2e = await ctx.channels.throughRelay(projectFor(ctx), record.via, { signal });
    return { route: [local(e2e.address), local(address)], closed: ctx.channels.closedSignal(e2e) };
  }
  const channel = await ctx.channels.toListener(ctx.parseRoute(record.to!), { signal });
  return { route: [local(channel.address), local(address)], closed: ctx.channels.closedSignal(channel) };
}

/**
 * Kafka inlets of a node (`kafka-inlet.create { from, via | to, outlet?, allow?, encrypt?,
 * maxFrameBytes? }`, `.list`, `.show { name }`, `.delete { name }`). The inlet's decision on
 * the outlet side's peer is the node policy for resource `{ type: 'kafka-inlet', name:
 * LISTEN }`, action `connect`. With `encrypt` (the default) produced values are encrypted
 * with this node's data keys and fetched values decrypted with keys from this node or,
 * through the same secure channel, from the outlet's node's key service. Persisted and
 * restored at start. See docs/kafka.md.
 */
export const kafkaInletsService: DaemonService = {
  name: KAFKA_INLETS_SECTION,
  async start(ctx) {
    const ring: DataKeyRing = await startKafkaKeys(ctx);
    const launch = async (entry: Entry): Promise<KafkaInlet> => {
      const policyName = (): string => entry.record.listen;
      const keys = new KeyClient(ctx.node, {
        route: async ({ signal }) => (await routeTo(ctx, entry.record, KEY_SERVICE_ADDRESS, signal)).route,
        own: (id) => ring.get(id),
        logger: ctx.logger,
      });
      const inlet = new KafkaInlet(ctx.node, {
        listen: entry.record.listen, logger: ctx.logger,
        outlet: (target: KafkaTarget) => ({ signal }) => routeTo(ctx, entry.record, target === 'bootstrap' ? entry.record.outlet : brokerOutletAddress(entry.record.outlet, target), signal),
        authorizeOutlet: (peer) => !revokedPeerCheck(ctx, { type: 'kafka-inlet', name: policyName() }, 'connect')(peer)
          && ctx.policy.authorize({ type: 'kafka-inlet', name: policyName() }, 'connect', peer),
        ...(entry.record.maxFrameBytes !== undefined ? { maxFrameBytes: entry.record.maxFrameBytes } : {}),
        ...(entry.record.encrypt ? { keyFor: (topic: string) => ring.keyFor(topic, periodsOf(entry.record)), keys: (ids: ReadonlyMap<string, string>) => keys.keys(ids) } : {}),
        ...(entry.record.encrypt && entry.record.encryptedFields !== undefined ? { encryptedFields: entry.record.encryptedFields } : {}),
      });
      await inlet.start();
      return inlet;
    };
    const table = new InletTable<KafkaInletRecord, KafkaInlet>(ctx, { what: 'kafka inlet', section: KAFKA_INLETS_SECTION, resourceType: 'kafka-inlet', launch });
    const inlets = table.entries;
    const view = (name: string): KafkaInletView => {
      const entry = table.get(name);
      const now = Date.now();
      const keyViews = entry.record.encrypt ? ring.info().map((k) => ({
        id: k.id, topic: k.topic, createdAt: new Date(k.createdAt).toISOString(), ageSeconds: Math.floor((now - k.createdAt) / 1000), expiresAt: new Date(k.expiresAt).toISOString(), current: k.current,
      })) : undefined;
      return {
        name, ...entry.record, ...(entry.inlet ? { status: withIsoTimes(entry.inlet.status(), ['lastErrorAt']) } : {}), ...(entry.error ? { error: entry.error } : {}),
        ...(keyViews !== undefined ? { keys: keyViews } : {}),
      };
    };
    await table.restore(readRecords(ctx), (record) => ({ record }));

    ctx.api.register('kafka-inlet.create', async (params, { signal }): Promise<KafkaInletView> => {
      const { from, via, to, allow } = params;
      const outlet = params.outlet ?? DEFAULT_KAFKA_OUTLET_ADDRESS;
      parseHostPort(from, { what: 'kafka inlet address', allowZero: true, origin: 'portal' });
      if (via !== undefined) assertRelayName(via);
      if (to !== undefined) {
        const route = ctx.parseRoute(to);
        const last = route[route.length - 1];
        if (last?.type !== LOCAL || last.value !== 'api') throw new InvalidInputError('cli', 'kafka-inlet --to must be a route to the outlet node\'s secure channel listener, ending at /service/api');
      }
      table.assertFree(from);
      const { keyRotationSeconds, keyRetentionSeconds } = params;
      if ((keyRotationSeconds !== undefined || keyRetentionSeconds !== undefined) && params.encrypt === false) throw new InvalidInputError('cli', '--key-rotation and --key-retention need encryption (drop --no-encrypt)');
      const rotation = keyRotationSeconds ?? DEFAULT_KEY_ROTATION_MS / 1000;
      const retention = keyRetentionSeconds ?? DEFAULT_KEY_RETENTION_MS / 1000;
      if (retention < rotation) throw new InvalidInputError('cli', `--key-retention (${retention} s) must be at least --key-rotation (${rotation} s): records sealed with a key must stay readable while it is current`);
      const fields = params.encryptedFields;
      if (fields !== undefined) {
        if (params.encrypt === false) throw new InvalidInputError('cli', '--encrypted-field needs encryption (drop --no-encrypt)');
        if (fields.length > 32) throw new InvalidInputError('cli', 'at most 32 --encrypted-field names');
        for (const f of fields) if (!/^[^,\s]{1,128}$/.test(f)) throw new InvalidInputError('cli', `--encrypted-field '${f}': a top-level JSON field name, 1-128 characters, no commas or spaces`);
      }
      if (via !== undefined) {
        try {
          projectFor(ctx);
        } catch (cause) {
          throw new NotFoundError('portal', `kafka-inlet --via ${via} goes through a relay of this node's project, but node '${ctx.name}' belongs to no project (enroll it first, or give --to)`, { cause });
        }
      }
      const entry: Entry = {
        record: {
          listen: from, outlet, ...(via !== undefined ? { via } : { to: to! }), encrypt: params.encrypt ?? true,
          ...(fields !== undefined && fields.length > 0 ? { encryptedFields: fields } : {}),
          ...(params.maxFrameBytes !== undefined ? { maxFrameBytes: params.maxFrameBytes } : {}),
          ...(keyRotationSeconds !== undefined ? { keyRotationSeconds } : {}), ...(keyRetentionSeconds !== undefined ? { keyRetentionSeconds } : {}),
          createdAt: new Date().toISOString(),
        },
      };
      const listen = await table.create(entry, allow, signal);
      ctx.logger.info({ inlet: listen, via, to }, 'kafka inlet created');
      return view(listen);
    });
    ctx.api.register('kafka-inlet.list', () => ({ inlets: [...inlets.keys()].map(view) }));
    ctx.api.register('kafka-inlet.show', async ({ name }) => view(await table.known(name)));
    ctx.api.register('kafka-inlet.delete', async (params, { signal }) => {
      const name = await table.delete(params.name, signal);
      ctx.logger.info({ inlet: name }, 'kafka inlet deleted');
      return { deleted: name };
    });
  },
};
