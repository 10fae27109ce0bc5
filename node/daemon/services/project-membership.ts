import { InvalidInputError } from '../../../core/errors.js';
import { CredentialRefresher, isNotMember } from '../../../authority/client/credential-refresher.js';
import { RevocationWatcher } from '../../../authority/client/revocation-watcher.js';
import { ReplicaRouteWatcher } from '../../../authority/client/replica-route-watcher.js';
import { Identity } from '../../../core/identity/identity.js';
import { NodeRevocations } from '../node-revocations.js';
import type { AuditExportPageCursor, EnrollResult } from '../../../authority/client/authority-client.js';
import type { FetchedCredential } from '../../../authority/services/wire-records.js';
import { isoTime, withIsoTimes } from '../../api/iso-time.js';
import type { MemberRecord } from '../../../authority/authority-store.js';
import type { AuditExport, AuditRecords, MembershipView, MemberView, RefreshView, SignerInfo, SignerList } from '../../api/project-views.js';
import type { SignerView } from '../../../authority/services/wire-records.js';
import { recordMembership, recordMembershipState, recordServedRoutes } from '../../home/node-projects.js';
import { listProjects, projectCredential, readProject, type ProjectRecord } from '../../home/project-registry.js';
import { PAGE_BUDGET_BYTES } from '../../../authority/services/page-budget.js';
import { AUDIT_EXPORT_PAGE_BYTES, AUDIT_SHOW_PAGE_RECORDS } from '../../api/audit-pages.js';
import { auditEntryView } from '../../api/audit-view.js';
import { fetchedFromStored, presented, ProjectSession } from '../project-session.js';
import type { DaemonContext, DaemonService } from '../service.js';
import { projectFor } from './node-channels.js';
import { checkServedRoutes } from './project-routes.js';

/** A member as the node API reports it. */
const memberView = (member: MemberRecord): MemberView => withIsoTimes(member, ['addedAt']);

/**
 * The node's project memberships: on start, every project record of this node that holds
 * a credential gets it loaded and kept fresh by a CredentialRefresher ("not a member" stops
 * it and records `membership: not-a-member` in the project record; other refusals back off),
 * and the project's revocation list fetched every few seconds and applied (see
 * node-revocations.ts). Control methods, each acting
 * as this node's identity over a secure channel to the project's authority:
 * `project.enroll { project, ticket }`, `project.join { project }`, `project.leave { project }`,
 * `project.refresh { project }` (fetch a credential now; a refusal is logged and returned),
 * `project.ticket`, `project.member.add|list|show|remove|suspend|resume`, `project.audit.show|export|prove`
 * (one page a call: see node/api/audit-pages.ts).
 */
export const projectMembershipService: DaemonService = {
  name: 'project-membership',
  start(ctx) {
    const refreshers = new Map<string, CredentialRefresher>();
    const watchers = new Map<string, RevocationWatcher>();
    const routeWatchers = new Map<string, ReplicaRouteWatcher>();
    const revocations = NodeRevocations.of(ctx);
    const log = ctx.logger.child({ component: 'project-membership' });

    // Every call goes over the node's one channel to the project (ctx.channels).
    const session = (project: ProjectRecord): ProjectSession => new ProjectSession(ctx, project);
    const acceptCredential = (name: string, credential: FetchedCredential): void => {
      ctx.credentials.accept(name, presented(credential));
      log.info({ project: name, expiresAt: new Date(credential.expiresAt).toISOString() }, 'project credential updated');
    };
    const stopRefresher = async (name: string): Promise<void> => {
      const running = refreshers.get(name);
      refreshers.delete(name);
      const watcher = watchers.get(name);
      watchers.delete(name);
      const routes = routeWatchers.get(name);
      routeWatchers.delete(name);
      await Promise.all([running?.stop(), watcher?.stop(), routes?.stop()]);
    };
    const notMember = (name: string, error: unknown): void => {
      if (readProject(ctx.home, name).membership !== undefined) return;
      log.warn({ project: name, reason: (error as Error).message }, 'this node is no longer a member of the project: credential refresh stopped');
      markMembership(name, { state: 'not-a-member', since: new Date().toISOString(), reason: 'the authority answered: not a member of this project' });
    };
    const markMembership = (name: string, membership: ProjectRecord['membership']): void => {
      recordMembershipState(ctx.home, name, membership);
    };
    const startRefresher = async (project: ProjectRecord, current?: FetchedCredential): Promise<void> => {
      await stopRefresher(project.name);
      // Each call reads the record again: its replica routes change while the node runs.
      const fresh = (): ProjectRecord => readProject(ctx.home, project.name);
      const refresher = new CredentialRefresher({
        current,
        fetchCredential: async ({ signal }) => await (await session(fresh()).client(signal ? { signal } : {})).fetchCredential(signal ? { signal } : {}),
        onCredential: (credential) => acceptCredential(project.name, credential),
        onNotMember: (error) => notMember(project.name, error),
        logger: log.child({ project: project.name }),
      });
      refreshers.set(project.name, refresher);
      refresher.start();
      const authority = Identity.fromJSON(project.authority);
      const watcher = new RevocationWatcher({
        fetchList: async ({ signal }) => await (await session(fresh()).client(signal ? { signal } : {})).fetchRevocationList(signal ? { signal } : {}),
        onList: async (list) => { await revocations.applySigned(list, authority); },
        onNotMember: (error) => {
          // The authority says so: stop asking for credentials too (the refresher would only be refused, and audited).
          const running = refreshers.get(project.name);
          refreshers.delete(project.name);
          void running?.stop();
          notMember(project.name, error);
        },
        logger: log.child({ project: project.name, component: 'revocation-watcher' }),
      });
      watchers.set(project.name, watcher);
      watcher.start();
      // The project's replicas as it serves them (over the channel pinned to its authority).
      const routes = new ReplicaRouteWatcher({
        fetchRoutes: async ({ signal }) => await (await session(fresh()).client(signal ? { signal } : {})).fetchReplicaRoutes(signal ? { signal } : {}),
        onRoutes: (served) => {
          const before = fresh();
          const after = recordServedRoutes(ctx.home, project.name, checkServedRoutes(served));
          if (before.route !== after.route || JSON.stringify(before.routes ?? []) !== JSON.stringify(after.routes ?? [])) {
            log.info({ project: project.name, routes: after.routes ?? [after.route] }, 'project replica routes updated');
          }
        },
        logger: log.child({ project: project.name, component: 'replica-routes' }),
      });
      routeWatchers.set(project.name, routes);
      routes.start();
    };
    // A new channel to a replica: ask it for the current replicas at once.
    ctx.onStop(ctx.channels.onProjectChannel((name) => routeWatchers.get(name)?.refreshSoon()));
    ctx.onStop(async () => {
      await Promise.all([...refreshers.keys()].map(stopRefresher));
    });
    // The authority withdrew the key that signed this node's credential: peers refuse it now, fetch a new one.
    ctx.onStop(revocations.onWithdrawnSigners((keys, authority) => {
      const own = ctx.credentials.verifiedCredential();
      if (own === undefined || own.issuer !== authority || !keys.has(own.signerKey)) return;
      for (const project of listProjects(ctx.home)) {
        if (project.authorityIdentifier !== authority) continue;
        log.warn({ project: project.name, signerKey: own.signerKey }, 'the key that signed this node\'s credential was withdrawn: fetching a new credential');
        refreshers.get(project.name)?.refreshSoon();
      }
    }));

    for (const project of listProjects(ctx.home)) {
      if (project.node !== ctx.name || project.credential === undefined) continue;
      const stored = projectCredential(project);
      const current = stored ? fetchedFromStored(stored, ctx.identity.identifier, project) : undefined;
      void startRefresher(project, current);
      log.info({ project: project.name, credentialValid: current !== undefined }, 'project membership restored');
    }

    const client = async ({ project }: { readonly project?: string | undefined }, signal: AbortSignal) => await session(projectFor(ctx, project)).client({ signal });
    const view = (project: string, result: EnrollResult): MembershipView => ({
      project, identifier: result.member.identifier, role: result.member.role, attributes: result.member.attributes,
      credentialExpiresAt: result.credential !== undefined ? isoTime(result.credential.expiresAt) : null,
      ...(result.credentialError !== undefined ? { credentialError: result.credentialError } : {}),
    });

    ctx.api.register('project.enroll', async (params, { signal }) => {
      ctx.credentials.reload();
      const project = readProject(ctx.home, params.project);
      const result = await (await session(project).client({ signal })).enroll(params.ticket, { signal, timeoutMs: 20_000 });
      recordMembership(ctx.home, project.name, result.member.role, ctx.name);
      if (result.credential) acceptCredential(project.name, result.credential);
      await startRefresher(readProject(ctx.home, project.name), result.credential);
      return view(project.name, result);
    });
    ctx.api.register('project.join', async (params, { signal }) => {
      ctx.credentials.reload();
      const project = readProject(ctx.home, params.project);
      const c = await session(project).client({ signal });
      const member = await c.showMember(ctx.identity.identifier, { signal });
      const credential = await c.fetchCredential({ signal });
      recordMembership(ctx.home, project.name, member.role, ctx.name);
      acceptCredential(project.name, credential);
      markMembership(project.name, undefined);
      await startRefresher(readProject(ctx.home, project.name), credential);
      return view(project.name, { member, credential });
    });
    ctx.api.register('project.leave', async ({ project: name }) => {
      await stopRefresher(name);
      await ctx.channels.closeProject(name);
      return { project: name };
    });
    ctx.api.register('project.refresh', async (params, { signal }) => {
      const project = readProject(ctx.home, params.project);
      if (project.node !== ctx.name) throw new InvalidInputError('cli', `node '${ctx.name}' is not the node of project ${project.name}${project.node ? ` (that is '${project.node}')` : ''}`);
      let credential: FetchedCredential;
      try {
        credential = await (await session(project).client({ signal })).fetchCredential({ signal });
      } catch (error) {
        log.warn({ project: project.name, err: error }, 'credential refresh on request refused');
        if (isNotMember(error)) notMember(project.name, error);
        throw error;
      }
      acceptCredential(project.name, credential);
      markMembership(project.name, undefined);
      await startRefresher(readProject(ctx.home, project.name), credential);
      return { project: project.name, identifier: ctx.identity.identifier, createdAt: isoTime(credential.createdAt), expiresAt: isoTime(credential.expiresAt), credentialHash: credential.credentialHash } satisfies RefreshView;
    });
    ctx.api.register('project.ticket', async (params, { signal }) => {
      const { attributes, usageCount, expiresInMs, relays, mayGrant, mayGrantRelays } = params;
      return withIsoTimes(await (await client(params, signal)).createTicket({
        attributes, usageCount, expiresInMs, relays, enroller: params.enroller === true, mayGrant, mayGrantRelays,
      }, { signal }), ['expiresAt']);
    });
    ctx.api.register('project.member.add', async (params, { signal }) => {
      const { role, mayGrant, mayGrantRelays } = params;
      return { member: memberView(await (await client(params, signal)).addMember(params.identifier, { attributes: params.attributes ?? {}, ...(role ? { role } : {}), mayGrant, mayGrantRelays }, { signal })) };
    });
    ctx.api.register('project.member.list', async (params, { signal }) => ({ members: (await (await client(params, signal)).listMembers({ signal })).map(memberView) }));
    ctx.api.register('project.member.show', async (params, { signal }) => ({ member: memberView(await (await client(params, signal)).showMember(params.identifier, { signal })) }));
    ctx.api.register('project.attribute-names', async (params, { signal }) => ({
      project: projectFor(ctx, params.project).name, names: await (await client(params, signal)).attributeNames({ signal }),
    }));
    ctx.api.register('project.member.remove', async (params, { signal }) => withIsoTimes(await (await client(params, signal)).removeMember(params.identifier, { signal }), ['accessEndedAt', 'revokedUntil']));
    ctx.api.register('project.member.suspend', async (params, { signal }) => withIsoTimes(await (await client(params, signal)).suspendMember(params.identifier, { signal }), ['accessEndedAt']));
    ctx.api.register('project.member.resume', async (params, { signal }) => ({ resumed: await (await client(params, signal)).resumeMember(params.identifier, { signal }) }));
    const signerInfo = (signer: SignerView): SignerInfo => withIsoTimes(signer, ['attestedAt', 'expiresAt', 'withdrawnAt']);
    ctx.api.register('project.signer.list', async (params, { signal }): Promise<SignerList> => ({
      project: projectFor(ctx, params.project).name, signers: (await (await client(params, signal)).listSigners({ signal })).map(signerInfo),
    }));
    ctx.api.register('project.signer.withdraw', async (params, { signal }) => ({
      project: projectFor(ctx, params.project).name, signer: signerInfo(await (await client(params, signal)).withdrawSigner(params.key, { signal })),
    }));
    ctx.api.register('project.audit.show', async (params, { signal }): Promise<AuditRecords> => {
      const limit = Math.max(1, Math.min(params.limit ?? 100, AUDIT_SHOW_PAGE_RECORDS));
      const page = await (await client(params, signal)).auditShowPage({ afterSeq: params.afterSeq, sinceTime: params.sinceTime, subject: params.subject, limit }, { signal });
      const next = page.next ?? (page.records.length === limit ? page.records.at(-1)?.seq : undefined);
      const records = page.records.map(auditEntryView);
      return next === undefined ? { records } : { records, next };
    });
    ctx.api.register('project.audit.export', async (params, { signal }): Promise<AuditExport> => {
      const c = await client(params, signal);
      const lines: string[] = [];
      let bytes = 0;
      let cursor: AuditExportPageCursor = { upToSeq: params.upToSeq, afterSeq: params.afterSeq, sign: params.sign, header: params.header };
      for (;;) {
        // The first page signs a checkpoint, which builds the log's tree from the last one.
        const page = await c.auditExportPage(cursor, { signal, timeoutMs: cursor.upToSeq === undefined ? 600_000 : 60_000 });
        for (const line of page.lines) { lines.push(line); bytes += line.length + 1; }
        if (page.next === undefined) return { lines, upToSeq: page.upToSeq };
        cursor = { upToSeq: page.upToSeq, afterSeq: page.next };
        if (bytes >= AUDIT_EXPORT_PAGE_BYTES - PAGE_BUDGET_BYTES) return { lines, upToSeq: page.upToSeq, next: page.next };
      }
    });
    ctx.api.register('project.audit.prove', async (params, { signal }) => {
      const { seq, checkpoint, first, second } = params;
      if ((seq === undefined) === (first === undefined || second === undefined)) throw new InvalidInputError('node', 'give either seq (and optionally checkpoint), or first and second');
      const request = seq !== undefined ? { seq, ...(checkpoint !== undefined ? { checkpoint } : {}) } : { first: first as number, second: second as number };
      return { proof: await (await client(params, signal)).auditProve(request, { signal, timeoutMs: 120_000 }) };
    });
  },
};
