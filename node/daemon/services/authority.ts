import { join } from 'node:path';
import { InvalidInputError } from '../../../core/errors.js';
import { SecureChannelListener } from '../../../core/channel/secure-channel-listener.js';
import type { AccessControl } from '../../../core/node/access-control.js';
import { isMemberRouteName } from '../../../core/relay/member-route.js';
import { RelayService } from '../../../core/relay/relay-service.js';
import { AUTHENTICATED_PEER, relayRule } from '../../../policy/default-rules.js';
import { RELAY_ATTRIBUTE } from '../../../authority/attributes.js';
import type { AuthorityStore } from '../../../authority/authority-store.js';
import { openPostgresAuthorityStore } from '../../../authority/authority-store-postgres.js';
import { openSqliteAuthorityStore } from '../../../authority/authority-store-sqlite.js';
import { createProjectAuthority } from '../../../authority/services/project-authority.js';
import type { AuthorityInfo } from '../../api/project-views.js';
import { revocationEntries } from '../../../authority/revocation-list.js';
import { NodeRevocations } from '../node-revocations.js';
import { revokedPeerCheck } from '../revoked-peers.js';
import { AUTHORITY_SECTION, PROJECT_LISTENER_ADDRESS, readAuthoritySection } from '../../home/project-node.js';
import { countingAuthorityStore, newAuthorityCounts } from '../metrics/authority-counts.js';
import type { DaemonService } from '../service.js';
import { nodeChannelOptions } from './node-channels.js';
import { projectMemberAccess, projectMemberRule, type Membership } from './project-member-access.js';
import { listenerAuthorize } from './secure-channels.js';
import { readPasswordFile } from '../../../authority/replica-database.js';
import { startProjectReplication, type ProjectReplication } from './project-replication.js';
import { RENDEZVOUS_ADDRESS, RendezvousService } from '../rendezvous.js';

/** File name of a project node's SQLite authority database, inside the node folder. */
export const AUTHORITY_SQLITE_FILE = 'authority.sqlite';

/** How often a project node re-reads revocations from its store (changes by other replicas). */
const REVOCATION_RESYNC_MS = 3_000;
/** How long after a signing key's withdrawal the project node closes the channels its credentials opened (the asking admin's reply goes out first; members apply it within 10 s anyway). */
const WITHDRAWAL_REPLY_GRACE_MS = 1_000;

/**
 * The project node's authority: runs when the node's configuration has an `authority`
 * section (written by `project create`). Opens the store (SQLite `authority.sqlite` in the
 * node folder, or Postgres), makes the creator the first admin, starts the enrollment,
 * credentials, tickets, members and audit services (signing as the node's identity), and
 * the relay service. A policy for resource `relay` NAME (or resource type `relay`)
 * decides who may `create` relay NAME and who may `send` through it; without one, the
 * default relay rule applies (policy/default-rules.ts `relayRule`): create needs an admin
 * or a credential from this authority listing NAME in `relay`, send needs a credential
 * from this authority. Every refusal is recorded
 * in the node's denial log. A policy for resource type `authority` (name = the service)
 * guards that service once one is set; until then `enrollment` admits any authenticated
 * channel peer and the other services (and the relay service) members of the project only
 * (`projectMemberAccess`). Without the secure-channels service, it runs the
 * `api` listener itself (see `listenerAuthorize`). Control method `authority.info`.
 */
export const authorityService: DaemonService = {
  name: AUTHORITY_SECTION,
  async start(ctx) {
    const section = readAuthoritySection(ctx.config.section(AUTHORITY_SECTION));
    if (section === undefined) return;
    const { identity, node } = ctx;
    const passwordFile = section.databasePasswordFile;
    const opened: AuthorityStore = section.database !== undefined
      ? await openPostgresAuthorityStore(section.database, passwordFile !== undefined ? { password: readPasswordFile(passwordFile) } : {})
      : await openSqliteAuthorityStore(join(ctx.home.node(ctx.name).dir, AUTHORITY_SQLITE_FILE));
    ctx.onStop(() => opened.close());
    const counts = newAuthorityCounts();
    const store = countingAuthorityStore(opened, counts);
    const authorityId = identity.identifier;
    // On Postgres, every project node is one of the project's replicas (see docs/scaling.md).
    const replication: ProjectReplication | undefined = section.database === undefined ? undefined : await startProjectReplication(ctx, {
      id: section.replica ?? ctx.name, route: section.route, authority: authorityId,
      database: { url: section.database, ...(passwordFile !== undefined ? { passwordFile } : {}) },
    });
    const revocations = NodeRevocations.of(ctx);
    let membership: ((identifier: string) => Promise<Membership>) | undefined;
    // A policy for resource type `authority` (or the service by name) decides once it
    // applies; until then `enrollment` admits any authenticated channel peer, and every other
    // service only members of this project (then the Authority's role checks decide);
    // `credentials` and `revocations` also answer the identities it revoked, so their nodes
    // learn it and stop asking. Either way the caller must come through a channel.
    const serviceAccess = (service: string): AccessControl => {
      const resource = { type: 'authority', name: service };
      if (service === 'enrollment') return ctx.policy.accessControl(resource, 'call', { rule: AUTHENTICATED_PEER, channelPeersOnly: true });
      return projectMemberAccess(ctx.policy, resource, 'call', projectMemberRule({
        authority: authorityId, membership: () => membership,
        ...(service === 'credentials' || service === 'revocations' ? { answersRevoked: (identifier: string) => revocations.lists(authorityId, identifier) } : {}),
      }));
    };
    const project = await createProjectAuthority({
      node, identity: identity.identity, identityVault: identity.identityVault,
      purposeKeys: identity.purposeKeys, credentialVault: identity.localVault, store,
      projectName: section.project, projectRoute: section.route, admin: section.admin,
      ...(section.wsRoute === undefined ? {} : { projectWsRoute: section.wsRoute }),
      ...(section.udpRoute === undefined ? {} : { projectUdpRoute: section.udpRoute }),
      ...(replication === undefined ? {} : { projectRoutes: () => replication.currentRoutes(), projectKnownRoutes: () => replication.routes() }),
      accessControl: serviceAccess,
      // This node's credential-signing key is registered in the signer list (replaced if withdrawn).
      replica: section.replica ?? ctx.name, logger: ctx.logger.child({ component: 'signer' }),
    });
    ctx.onStop(() => project.stop());
    membership = (identifier) => project.authority.membershipOf(identifier);
    // Direct paths between members meet here: members only (policy resource authority/rendezvous).
    await node.startWorker(RENDEZVOUS_ADDRESS, new RendezvousService(node, ctx.transports), { incoming: serviceAccess(RENDEZVOUS_ADDRESS) });
    const syncRevocations = async (): Promise<void> => {
      const signers = await project.signer!.check(() => project.authority.signers());
      const withdrawn = signers.filter((x) => x.withdrawnAt !== undefined).map((x) => x.keyId);
      await revocations.applyLocal(authorityId, revocationEntries(await project.authority.revocations()), withdrawn);
    };
    await syncRevocations();

    const rule = relayRule({ attribute: RELAY_ATTRIBUTE, isAdmin: async (identifier) => (await store.getMember(identifier))?.role === 'admin' });
    let relay: RelayService | undefined;
    if (!node.hasWorker('relay')) {
      relay = new RelayService(node, {
        logger: ctx.logger,
        // Members only (relay policies and the relay rule then decide per name); no answer to anyone else.
        incoming: projectMemberAccess(ctx.policy, { type: 'relay', name: 'relay' }, 'call', projectMemberRule({ authority: authorityId, membership: () => membership }), { policyDecides: false }),
        onTakeoverAttempt: ({ name, peer, holder }) => {
          const reason = `relay ${name} is held by another member${holder !== undefined ? ` (${holder})` : ''}`;
          ctx.policy.recordRefusal({ type: 'relay', name }, 'create', peer, reason);
          const actor = peer?.identifier ?? 'unauthenticated';
          project.authority.recordAccessRefusal(actor, 'relay.create', 'held by another member', { relay: name, ...(holder !== undefined ? { holder } : {}) })
            .catch((err: unknown) => ctx.logger.error({ relay: name, err: err instanceof Error ? err.message : String(err) }, 'cannot audit a relay takeover attempt'));
        },
        // Another replica (the authority identity itself) forwards messages whose senders it checked.
        authorize: (peer, name, action) => (replication !== undefined && action === 'send' && peer?.identifier === authorityId && peer.channel !== undefined)
          || ctx.policy.authorize({ type: 'relay', name }, action, peer, rule),
        ...(replication === undefined ? {} : { directory: replication.directory, connectReplica: replication.connectReplica }),
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
    // A withdrawal closes the channels of peers whose credential the key signed, the admin
    // who asked for it among them: applied a moment later, so that admin gets its answer.
    const withdrawalTimers = new Set<NodeJS.Timeout>();
    ctx.onStop(project.authority.onSignerWithdrawn(() => {
      const timer = setTimeout(() => { withdrawalTimers.delete(timer); runSync(); }, WITHDRAWAL_REPLY_GRACE_MS);
      withdrawalTimers.add(timer);
    }));
    ctx.onStop(() => { for (const timer of withdrawalTimers) clearTimeout(timer); });
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
        ...nodeChannelOptions(ctx), address: PROJECT_LISTENER_ADDRESS, authorize: listenerAuthorize(ctx.policy, PROJECT_LISTENER_ADDRESS, true),
        refusePeer: revokedPeerCheck(ctx, { type: 'secure-channel-listener', name: PROJECT_LISTENER_ADDRESS }, 'handshake', { exceptOwnAuthority: true }),
      });
      ctx.onStop(() => listener.stop());
    }

    const relays = relay;
    ctx.metrics.provide('authority', {
      counts,
      auditHeadSeq: async () => (await store.auditHead({ signal: AbortSignal.timeout(5_000) })).seq,
      relaysHeld: () => relays?.list().filter((r) => !isMemberRouteName(r.name)).length ?? 0,
      ...(replication === undefined ? {} : { relaysForwarded: () => relays?.listForwarded().length ?? 0 }),
    });

    ctx.api.register('authority.info', async (_params, { signal }): Promise<AuthorityInfo> => ({
      project: section.project, route: section.route, ...(section.wsRoute === undefined ? {} : { wsRoute: section.wsRoute }),
      ...(section.udpRoute === undefined ? {} : { udpRoute: section.udpRoute }), authority: authorityId,
      storage: section.database !== undefined ? 'postgres' : 'sqlite',
      ...(replication === undefined ? {} : { replica: replication.id, routes: replication.routes() }),
      // Members' management routes (member.<identifier>) are no relays anyone named.
      relays: relay?.list().map((r) => r.name).filter((name) => !isMemberRouteName(name)) ?? [],
      members: (await store.withTransaction((tx) => tx.listMembers(), { signal })).length,
    }));
    if (replication === undefined) {
      // Every project node answers the replica methods; one on SQLite has no replicas to list or remove.
      const noReplicas = async (): Promise<never> => {
        throw new InvalidInputError('node', `project '${section.project}' keeps its authority in SQLite: replicas need a project created with --database (PostgreSQL)`);
      };
      ctx.api.register('authority.replicas', noReplicas);
      ctx.api.register('authority.replica-remove', noReplicas);
    } else {
      ctx.api.register('authority.replicas', async () => ({
        project: section.project,
        replicas: (await replication.list()).map((r) => ({
          id: r.id, route: r.route, identifier: r.identifier, health: r.health, startedAt: new Date(r.startedAt).toISOString(),
          heartbeatAt: new Date(r.heartbeatAt).toISOString(), relays: r.relays, members: r.members, self: r.id === replication.id,
        })),
      }));
      ctx.api.register('authority.replica-remove', async ({ replica }) => {
        if (replica === replication.id) throw new InvalidInputError('node', `replica '${replica}' is this node: remove it from another replica`);
        return { removed: await replication.registry.remove(replica) };
      });
    }
    ctx.logger.info({ project: section.project, authority: authorityId, storage: section.database !== undefined ? 'postgres' : 'sqlite' }, 'project authority started');
  },
};
