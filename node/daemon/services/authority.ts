import { join } from 'node:path';
import { SecureChannelListener } from '../../../core/channel/secure-channel-listener.js';
import type { AccessControl } from '../../../core/node/access-control.js';
import type { PeerInfo } from '../../../core/routing/message.js';
import { RelayService } from '../../../core/relay/relay-service.js';
import { RELAY_ATTRIBUTE } from '../../../authority/attributes.js';
import type { AuthorityStore } from '../../../authority/authority-store.js';
import { openPostgresAuthorityStore } from '../../../authority/authority-store-postgres.js';
import { openSqliteAuthorityStore } from '../../../authority/authority-store-sqlite.js';
import { createProjectAuthority } from '../../../authority/services/project-authority.js';
import { requireChannelPeer } from '../../../authority/services/start-authority-services.js';
import type { AuthorityInfo } from '../../api/project-views.js';
import { revocationEntries } from '../../../authority/revocation-list.js';
import { NodeRevocations } from '../node-revocations.js';
import { AUTHORITY_SECTION, PROJECT_LISTENER_ADDRESS, readAuthoritySection } from '../../home/project-node.js';
import { countingAuthorityStore, newAuthorityCounts } from '../metrics/authority-counts.js';
import type { DaemonService } from '../service.js';
import { nodeChannelOptions } from './node-channels.js';
import { projectListenerAuthorize } from './secure-channels.js';

/** File name of a project node's SQLite authority database, inside the node folder. */
export const AUTHORITY_SQLITE_FILE = 'authority.sqlite';

/** How often a project node re-reads revocations from its store (changes by other replicas). */
const REVOCATION_RESYNC_MS = 3_000;

/** True when `relays` (the comma-separated `relay` attribute) names `name`. */
export function relayAllowed(relays: string | undefined, name: string): boolean {
  return relays !== undefined && relays.split(',').map((r) => r.trim()).includes(name);
}

/** Reasons recorded in the denial log when the default relay rule refuses. */
export const RELAY_DEFAULT_DENIALS = {
  create: 'denied by the default relay rule: create needs an admin or a credential from this authority listing the name in "relay"',
  send: 'denied by the default relay rule: send needs a credential from this authority',
} as const;

/**
 * The project node's authority: runs when the node's configuration has an `authority`
 * section (written by `project create`). Opens the store (SQLite `authority.sqlite` in the
 * node folder, or Postgres), makes the creator the first admin, starts the enrollment,
 * credentials, tickets, members and audit services (signing as the node's identity), and
 * the relay service. A policy for resource `relay` NAME (or resource type `relay`)
 * decides who may `create` relay NAME and who may `send` through it; without one, the
 * default rule applies: create needs an admin or a credential from this authority listing
 * NAME in `relay`, send needs a credential from this authority. Every refusal is recorded
 * in the node's denial log. A policy for resource type `authority` (name = the service)
 * guards that service once one is set. Without the secure-channels service, it runs the
 * `api` listener itself (see `projectListenerAuthorize`). Control method `authority.info`.
 */
export const authorityService: DaemonService = {
  name: AUTHORITY_SECTION,
  async start(ctx) {
    const section = readAuthoritySection(ctx.config.section(AUTHORITY_SECTION));
    if (section === undefined) return;
    const { security, node } = ctx;
    const opened: AuthorityStore = section.database !== undefined
      ? await openPostgresAuthorityStore(section.database)
      : await openSqliteAuthorityStore(join(ctx.home.node(ctx.name).dir, AUTHORITY_SQLITE_FILE));
    ctx.onStop(() => opened.close());
    const counts = newAuthorityCounts();
    const store = countingAuthorityStore(opened, counts);
    const authorityId = security.identifier;
    // A policy for resource type `authority` (or one service by name) guards that service
    // once it exists; until then any authenticated channel peer reaches it and the
    // Authority's role checks decide. Either way the caller must come through a channel.
    const serviceAccess = (service: string): AccessControl => {
      const resource = { type: 'authority', name: service };
      const guard = security.accessControl(resource, 'call');
      return {
        isAuthorized: (request) => {
          if (!requireChannelPeer.isAuthorized(request)) return false;
          return security.hasPolicy(resource) ? guard.isAuthorized(request) : true;
        },
      };
    };
    const project = await createProjectAuthority({
      node, identity: security.identity, identityVault: security.identityVault,
      purposeKeys: security.purposeKeys, credentialVault: security.localVault, store,
      projectName: section.project, projectRoute: section.route, admin: section.admin,
      ...(section.wsRoute === undefined ? {} : { projectWsRoute: section.wsRoute }),
      accessControl: serviceAccess,
    });
    ctx.onStop(() => project.stop());
    const revocations = NodeRevocations.of(ctx);
    const syncRevocations = async (): Promise<void> => {
      await revocations.applyLocal(authorityId, revocationEntries(await project.authority.revocations()));
    };
    await syncRevocations();

    const isAdmin = async (identifier: string): Promise<boolean> => (await store.getMember(identifier))?.role === 'admin';
    const fromUs = (peer: PeerInfo | undefined): peer is PeerInfo => peer !== undefined && peer.authority === authorityId;
    let relay: RelayService | undefined;
    if (!node.hasWorker('relay')) {
      relay = new RelayService(node, {
        logger: ctx.logger,
        onTakeoverAttempt: ({ name, peer, holder }) => {
          const reason = `relay ${name} is held by another member${holder !== undefined ? ` (${holder})` : ''}`;
          security.denials.record({
            at: new Date().toISOString(), resource: { type: 'relay', name, node: ctx.name }, action: 'create', reason,
            ...(peer !== undefined ? { subject: peer.identifier } : {}),
          });
          const actor = peer?.identifier ?? 'unauthenticated';
          project.authority.recordAccessRefusal(actor, 'relay.create', 'held by another member', { relay: name, ...(holder !== undefined ? { holder } : {}) })
            .catch((err: unknown) => ctx.logger.error({ relay: name, err: err instanceof Error ? err.message : String(err) }, 'cannot audit a relay takeover attempt'));
        },
        authorize: (peer, name, action) => security.decideOr(peer, { type: 'relay', name }, action, {
          reason: RELAY_DEFAULT_DENIALS[action],
          allowed: () => {
            if (action === 'send') return fromUs(peer);
            if (peer === undefined) return false;
            if (fromUs(peer) && relayAllowed(peer.attributes[RELAY_ATTRIBUTE], name)) return true;
            return isAdmin(peer.identifier);
          },
        }),
      });
      await relay.start();
      const started = relay;
      ctx.onStop(() => started.stop());
    }

    // A removal or suspension closes the identity's channels and relays at once; the store is
    // read again every few seconds for changes made by other replicas sharing it.
    const runSync = (): void => {
      syncRevocations().catch((err: unknown) => ctx.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot apply revocations'));
    };
    ctx.onStop(project.authority.onRevocation(runSync));
    ctx.onStop(revocations.onRevoked((identifiers, authority) => {
      if (authority !== authorityId || relay === undefined) return;
      const service = relay;
      for (const identifier of identifiers) {
        service.removeOwnedBy(identifier).catch((err: unknown) => ctx.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot remove relays of a revoked identity'));
      }
    }));
    const resync = setInterval(runSync, REVOCATION_RESYNC_MS);
    resync.unref();
    ctx.onStop(() => clearInterval(resync));

    // The secure-channels service normally runs the listener; without it, the authority
    // runs its own so enrollees can reach it (same rule: a listener policy, else any peer).
    if (!node.hasWorker(PROJECT_LISTENER_ADDRESS)) {
      const listener = await SecureChannelListener.start(node, {
        ...nodeChannelOptions(ctx), address: PROJECT_LISTENER_ADDRESS, authorize: projectListenerAuthorize(security, PROJECT_LISTENER_ADDRESS),
      });
      ctx.onStop(() => listener.stop());
    }

    const relays = relay;
    ctx.metrics.provide('authority', {
      counts,
      auditHeadSeq: async () => (await store.auditHead({ signal: AbortSignal.timeout(5_000) })).seq,
      relaysHeld: () => relays?.list().length ?? 0,
    });

    ctx.api.register('authority.info', async (_params, { signal }): Promise<AuthorityInfo> => ({
      project: section.project, route: section.route, ...(section.wsRoute === undefined ? {} : { wsRoute: section.wsRoute }), authority: authorityId,
      storage: section.database !== undefined ? 'postgres' : 'sqlite',
      relays: relay?.list().map((r) => r.name) ?? [],
      members: (await store.withTransaction((tx) => tx.listMembers(), { signal })).length,
    }));
    ctx.logger.info({ project: section.project, authority: authorityId, storage: section.database !== undefined ? 'postgres' : 'sqlite' }, 'project authority started');
  },
};
