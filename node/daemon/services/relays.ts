import { AlreadyExistsError, NotFoundError, UnauthorizedError } from '../../../core/errors.js';
import { RelayClient } from '../../../core/relay/relay-client.js';
import { assertRelayName } from '../../../core/relay/relay-message.js';
import { local } from '../../../core/routing/address.js';
import { withIsoTimes } from '../../api/iso-time.js';
import type { RelayRecord, RelayView } from '../../api/relay-view.js';
import { RELAYS_SECTION, savedRelays } from '../../home/saved-config.js';
import { readProject } from '../../home/project-registry.js';
import type { DaemonContext, DaemonService } from '../service.js';
import { projectFor } from './node-channels.js';

export { RELAYS_SECTION };

function readRecords(ctx: DaemonContext): RelayRecord[] {
  return savedRelays(ctx.config.section(RELAYS_SECTION));
}

/**
 * Relays this node keeps registered at its project node (`relay.create { name, project? }`,
 * `.list`, `.show { name }`, `.delete { name }`): a RelayClient per name whose route goes
 * through the node's secure channel to the project (the channel manager's, answered only
 * by the project's authority; re-opened after a failure) to the project's `relay`
 * service. When that channel closes, the client registers again at once. Persisted and
 * restored when the node starts.
 */
export const relaysService: DaemonService = {
  name: RELAYS_SECTION,
  async start(ctx) {
    const relays = new Map<string, { record: RelayRecord; client: RelayClient }>();
    const persist = (): void => {
      ctx.config.setSection(RELAYS_SECTION, { relays: [...relays.values()].map((r) => r.record) });
    };
    const launch = async (record: RelayRecord): Promise<void> => {
      const client = new RelayClient(ctx.node, {
        name: record.name, logger: ctx.logger,
        route: async ({ signal }) => {
          const channel = await ctx.channels.toProject(projectFor(ctx, record.project), { signal });
          return { route: [local(channel.address), local('relay')], closed: ctx.channels.closedSignal(channel) };
        },
      });
      relays.set(record.name, { record, client });
      await client.start();
    };
    const view = (name: string): RelayView => {
      const entry = relays.get(name);
      if (!entry) throw new NotFoundError('relay', `no relay '${name}' on node '${ctx.name}'`);
      let at: string;
      try {
        at = projectFor(ctx, entry.record.project).name;
      } catch {
        at = entry.record.project ?? '-';
      }
      return { ...entry.record, at, status: withIsoTimes(entry.client.status(), ['since', 'lastErrorAt', 'recoveredAt']) };
    };
    for (const record of readRecords(ctx)) {
      // The first attempt is bounded by the request timeout; the client keeps retrying after it.
      launch(record).catch((err: unknown) => ctx.logger.error({ relay: record.name, err: err instanceof Error ? err.message : String(err) }, 'cannot restore relay'));
    }
    ctx.onStop(async () => {
      await Promise.all([...relays.values()].map((r) => r.client.stop()));
    });
    ctx.metrics.provide('relays', () => [...relays.values()].map((r) => r.client.status()));

    ctx.api.register('relay.create', async ({ name, project }): Promise<RelayView> => {
      assertRelayName(name);
      if (relays.has(name)) throw new AlreadyExistsError('relay', `relay '${name}' already exists on node '${ctx.name}'`);
      projectFor(ctx, project);
      if (project !== undefined) readProject(ctx.home, project);
      const record: RelayRecord = { name, ...(project !== undefined ? { project } : {}), createdAt: new Date().toISOString() };
      await launch(record);
      const started = relays.get(name);
      if (started?.client.status().refused) {
        // Refused by the project (its policy or the relay rule), not merely unreachable: keep nothing.
        const { held } = started.client.status();
        relays.delete(name);
        await started.client.stop();
        if (held) throw new AlreadyExistsError('relay', `relay ${name} is held by another member: the project node keeps it for its holder until the holder deletes it or stops refreshing it (30 s after its node stops); the attempt is recorded in the project node's policy denials and audit log`);
        throw new UnauthorizedError('relay', `the project refused relay '${name}' for this node: its credential does not allow that name (an admin can issue a ticket with --relay ${name}, or a relay policy can allow it)`);
      }
      persist();
      ctx.logger.info({ relay: name, project }, 'relay created');
      return view(name);
    });
    ctx.api.register('relay.list', () => ({ relays: [...relays.keys()].map(view) }));
    ctx.api.register('relay.show', ({ name }) => view(name));
    ctx.api.register('relay.delete', async ({ name }) => {
      const entry = relays.get(name);
      if (!entry) throw new NotFoundError('relay', `no relay '${name}' on node '${ctx.name}'`);
      relays.delete(name);
      persist();
      await entry.client.stop();
      ctx.logger.info({ relay: name }, 'relay deleted');
      return { deleted: name };
    });
  },
};
