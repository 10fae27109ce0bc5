import type { PolicyScope } from '../../../policy/policy.js';
import { policyView, type PolicyDenials, type PolicyView } from '../../api/policy-view.js';
import { Params } from '../../../core/params.js';
import type { WireMap } from '../../../authority/services/protocol.js';
import { policyViewFromWire, scopeFromWire } from '../../api/member-policy-wire.js';
import { callMemberPolicies } from '../member-policy-client.js';
import { ECHO_ADDRESS } from './echo.js';
import type { DaemonService } from '../service.js';

/** The scope named by checked control params (exactly one of `resource` or `resourceType`). */
export function scopeFromParams({ resource, resourceType }: { readonly resource?: string | undefined; readonly resourceType?: string | undefined }): PolicyScope {
  return resource !== undefined ? { kind: 'resource', name: resource } : { kind: 'resource-type', type: resourceType! };
}

export { policyView };

/**
 * The node's policies over the control socket: `policy.create { resource | resourceType,
 * expression, mode? }` (the expression is size-checked, parsed and type-checked before it is
 * stored), `policy.list`, `policy.show`, `policy.delete` and `policy.denials { limit? }`.
 * With `atMember`, create, list, show and delete act on that project member's node instead,
 * over the project (see member-policy-client.ts and member-policies.ts).
 *
 * It also guards the `echo` worker with the `worker` policies (action `handle`): local
 * callers always pass; a remote message passes when a policy for resource `echo` (or
 * type `worker`) allows it, else by the default rule (a credential from the authority of
 * the node's own project, i.e. a member's channel). Bare TCP and outsiders get no answer
 * unless a policy opens echo to them. Denials are recorded.
 */
export const policyService: DaemonService = {
  name: 'policy',
  start(ctx) {
    const nodePolicy = ctx.policy;
    if (ctx.node.hasWorker(ECHO_ADDRESS)) {
      ctx.node.setAccessControl(ECHO_ADDRESS, {
        incoming: nodePolicy.accessControl({ type: 'worker', name: ECHO_ADDRESS }, 'handle'),
      });
    }
    const wireScope = ({ resource, resourceType }: { readonly resource?: string | undefined; readonly resourceType?: string | undefined }): WireMap =>
      (resource !== undefined ? { resource } : { resourceType });
    ctx.api.register('policy.create', async (params, { signal }): Promise<PolicyView> => {
      const { expression, mode = 'enforce', atMember } = params;
      if (atMember !== undefined) {
        const result = await callMemberPolicies(ctx, atMember, 'create', { ...wireScope(params), expression, mode }, { signal });
        return policyViewFromWire(new Params(result, 'policy').only('policy').nested('policy'));
      }
      const policy = await nodePolicy.policies.create(scopeFromParams(params), expression, { mode, signal });
      ctx.logger.info({ scope: policy.scope, expression: policy.expression, mode }, 'policy created');
      return policyView(policy);
    });
    ctx.api.register('policy.list', async ({ atMember }, { signal }) => {
      if (atMember !== undefined) {
        const result = await callMemberPolicies(ctx, atMember, 'list', {}, { signal });
        return { policies: new Params(result, 'policy').only('policies').mapList('policies').map(policyViewFromWire) };
      }
      return { policies: (await nodePolicy.policies.list({ signal })).map(policyView) };
    });
    ctx.api.register('policy.show', async (params, { signal }): Promise<PolicyView> => {
      if (params.atMember !== undefined) {
        const result = await callMemberPolicies(ctx, params.atMember, 'show', wireScope(params), { signal });
        return policyViewFromWire(new Params(result, 'policy').only('policy').nested('policy'));
      }
      return policyView(await nodePolicy.policies.get(scopeFromParams(params), { signal }));
    });
    ctx.api.register('policy.delete', async (params, { signal }) => {
      const scope = scopeFromParams(params);
      if (params.atMember !== undefined) {
        const result = await callMemberPolicies(ctx, params.atMember, 'delete', wireScope(params), { signal });
        return { deleted: scopeFromWire(new Params(result, 'policy').only('deleted').nested('deleted')) };
      }
      await nodePolicy.policies.delete(scope, { signal });
      ctx.logger.info({ scope }, 'policy deleted');
      return { deleted: scope };
    });
    ctx.api.register('policy.denials', ({ limit }): PolicyDenials => {
      return { denials: nodePolicy.denials.recent(limit ?? 50), counts: nodePolicy.denials.counts() };
    });
  },
};
