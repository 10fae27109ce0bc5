import type { Policy, PolicyScope } from '../../../policy/policy.js';
import type { PolicyDenials, PolicyView } from '../../api/policy-view.js';
import { ECHO_ADDRESS } from './echo.js';
import type { DaemonService } from '../service.js';

/** The scope named by checked control params (exactly one of `resource` or `resourceType`). */
export function scopeFromParams({ resource, resourceType }: { readonly resource?: string | undefined; readonly resourceType?: string | undefined }): PolicyScope {
  return resource !== undefined ? { kind: 'resource', name: resource } : { kind: 'resource-type', type: resourceType! };
}

/** The view of a stored policy. */
export function policyView(policy: Policy): PolicyView {
  const label = policy.scope.kind === 'resource' ? `resource ${policy.scope.name}` : `resource-type ${policy.scope.type}`;
  return {
    scope: policy.scope, label, expression: policy.expression, createdAt: policy.createdAt, valid: policy.compiled !== undefined,
    ...(policy.compileError !== undefined ? { compileError: policy.compileError } : {}),
  };
}

/**
 * The node's policies over the control socket: `policy.create { resource | resourceType,
 * expression }` (the expression is size-checked, parsed and type-checked before it is
 * stored), `policy.list`, `policy.show`, `policy.delete` and `policy.denials { limit? }`.
 *
 * It also guards the `echo` worker with the `worker` policies: while no policy applies
 * to resource `echo` (neither one for the name `echo` nor one for the type `worker`),
 * echo stays open to everyone, bare TCP included, as before; once one applies, echo's
 * incoming messages are decided by it (action `handle`) and denials are recorded.
 */
export const policyService: DaemonService = {
  name: 'policy',
  start(ctx) {
    const { security } = ctx;
    if (ctx.node.hasWorker(ECHO_ADDRESS)) {
      ctx.node.setAccessControl(ECHO_ADDRESS, {
        incoming: security.accessControl({ type: 'worker', name: ECHO_ADDRESS }, 'handle', { openWithoutPolicy: true }),
      });
    }
    ctx.api.register('policy.create', async (params, { signal }): Promise<PolicyView> => {
      const { expression } = params;
      const policy = await security.policies.create(scopeFromParams(params), expression, { signal });
      ctx.logger.info({ scope: policy.scope, expression: policy.expression }, 'policy created');
      return policyView(policy);
    });
    ctx.api.register('policy.list', async (_params, { signal }) => ({
      policies: (await security.policies.list({ signal })).map(policyView),
    }));
    ctx.api.register('policy.show', async (params, { signal }): Promise<PolicyView> =>
      policyView(await security.policies.get(scopeFromParams(params), { signal })));
    ctx.api.register('policy.delete', async (params, { signal }) => {
      const scope = scopeFromParams(params);
      await security.policies.delete(scope, { signal });
      ctx.logger.info({ scope }, 'policy deleted');
      return { deleted: scope };
    });
    ctx.api.register('policy.denials', ({ limit }): PolicyDenials => {
      return { denials: security.denials.recent(limit ?? 50), counts: security.denials.counts() };
    });
  },
};
