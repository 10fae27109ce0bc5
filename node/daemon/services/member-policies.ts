import { InvalidInputError, NotFoundError, UnauthorizedError } from '../../../core/errors.js';
import type { AccessControl } from '../../../core/node/access-control.js';
import { memberRouteName } from '../../../core/relay/member-route.js';
import { RelayClient } from '../../../core/relay/relay-client.js';
import { local } from '../../../core/routing/address.js';
import type { PeerInfo } from '../../../core/routing/message.js';
import { AuthorityServiceWorker, type ServiceCall, type ServiceMethod } from '../../../authority/services/service-worker.js';
import { PROJECT_ADMIN } from '../../../policy/default-rules.js';
import type { PolicyChangeAuthor } from '../../../policy/policy-store.js';
import { assertPolicyMode, type PolicyScope } from '../../../policy/policy.js';
import { MEMBER_POLICY_ADDRESS, policyViewToWire, type MemberPolicyMethod } from '../../api/member-policy-wire.js';
import { policyView } from '../../api/policy-view.js';
import { AUTHORITY_SECTION } from '../../home/project-node.js';
import { projectOfNode } from '../../home/project-registry.js';
import type { DaemonContext, DaemonService } from '../service.js';

/** The resource the `policy` resource type guards on a member node: its policy service. */
export const MEMBER_POLICY_RESOURCE = { type: 'policy', name: MEMBER_POLICY_ADDRESS } as const;

/** Only messages that came through a secure channel (the service acts on the caller's identity). */
const CHANNEL_PEERS: AccessControl = { isAuthorized: ({ message }) => message.origin?.via === 'channel' && message.origin.peer !== undefined };

/**
 * A member node's policies managed from the project. The node keeps its management route
 * `member.<its identifier>` registered at its project node (a relay only this identity may
 * register and only the project's admins may send through), and serves `member_policies`:
 * `create`, `list`, `show` and `delete` of its policies, for a caller that reached it over
 * an end-to-end secure channel. Every call is decided here, on the caller's own verified
 * credential, by the `policy` resource type (action = the method; default rule
 * `project-admin`: a credential from this node's project authority carrying role admin),
 * never on the word of the project node that forwarded it; a refusal is answered
 * `refused` and recorded in the node's denials. Changes land in the decision log with the
 * admin's identifier, the project, and the old and new expression.
 */
export const memberPoliciesService: DaemonService = {
  name: 'member-policies',
  async start(ctx) {
    const log = ctx.logger.child({ component: 'member-policies' });
    const decide = (caller: PeerInfo, action: MemberPolicyMethod): void => {
      if (ctx.policy.authorize(MEMBER_POLICY_RESOURCE, action, caller, PROJECT_ADMIN) !== true) {
        throw new UnauthorizedError('policy', `${action} refused`);
      }
    };
    const author = (caller: PeerInfo): PolicyChangeAuthor => {
      const project = projectOfNode(ctx.home, ctx.name)?.name;
      return {
        actor: caller.identifier,
        fields: { identifier: caller.identifier, via: 'project', ...(project !== undefined ? { project } : {}), ...(caller.authority !== undefined ? { authority: caller.authority } : {}) },
      };
    };
    const scopeOf = ({ params }: ServiceCall): PolicyScope => {
      const resource = params.optionalString('resource', 128);
      const resourceType = params.optionalString('resourceType', 128);
      if ((resource === undefined) === (resourceType === undefined)) throw new InvalidInputError('policy', 'give exactly one of resource and resourceType');
      return resource !== undefined ? { kind: 'resource', name: resource } : { kind: 'resource-type', type: resourceType! };
    };
    const methods: Record<MemberPolicyMethod, ServiceMethod> = {
      create: async (call) => {
        decide(call.caller, 'create');
        call.params.only('resource', 'resourceType', 'expression', 'mode');
        const mode = assertPolicyMode(call.params.optionalString('mode', 16) ?? 'enforce');
        const policy = await ctx.policy.policies.create(scopeOf(call), call.params.string('expression', 64 * 1024), { mode, by: author(call.caller), signal: call.signal });
        log.info({ scope: policy.scope, expression: policy.expression, mode, by: call.caller.identifier }, 'policy created by a project admin');
        return { policy: policyViewToWire(policyView(policy)) };
      },
      list: async (call) => {
        decide(call.caller, 'list');
        call.params.only();
        return { policies: (await ctx.policy.policies.list({ signal: call.signal })).map((p) => policyViewToWire(policyView(p))) };
      },
      show: async (call) => {
        decide(call.caller, 'show');
        call.params.only('resource', 'resourceType');
        return { policy: policyViewToWire(policyView(await ctx.policy.policies.get(scopeOf(call), { signal: call.signal }))) };
      },
      delete: async (call) => {
        decide(call.caller, 'delete');
        call.params.only('resource', 'resourceType');
        const scope = scopeOf(call);
        await ctx.policy.policies.delete(scope, { by: author(call.caller), signal: call.signal });
        log.info({ scope, by: call.caller.identifier }, 'policy deleted by a project admin');
        return { deleted: scope.kind === 'resource' ? { kind: 'resource', name: scope.name } : { kind: 'resource-type', type: scope.type } };
      },
    };
    const worker = new AuthorityServiceWorker('member-policies', methods, { maxInFlight: 4 });
    await ctx.node.startWorker(MEMBER_POLICY_ADDRESS, worker, { incoming: CHANNEL_PEERS });
    ctx.onStop(async () => {
      await worker.shutdown();
    });
    // A project node is no member of a project: it has no management route.
    if (ctx.config.section(AUTHORITY_SECTION) === undefined) startManagementRoute(ctx);
  },
};

/** Keeps `member.<identifier>` registered at the node's project node while the node belongs to one. */
function startManagementRoute(ctx: DaemonContext): void {
  const client = new RelayClient(ctx.node, {
    name: memberRouteName(ctx.identity.identifier), logger: ctx.logger,
    // Until the node joins a project, each attempt fails here and the client retries (backoff up to 10 s).
    route: async ({ signal }) => {
      const project = projectOfNode(ctx.home, ctx.name);
      if (project === undefined) throw new NotFoundError('node', 'the node belongs to no project yet');
      const channel = await ctx.channels.toProject(project, { signal });
      return { route: [local(channel.address), local('relay')], closed: ctx.channels.closedSignal(channel) };
    },
  });
  client.start().catch((err: unknown) => ctx.logger.error({ err: err instanceof Error ? err.message : String(err) }, 'cannot start the management route'));
  ctx.onStop(() => client.stop());
}
