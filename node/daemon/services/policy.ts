import { InvalidInputError } from '../../../core/errors.js';
import type { Denial, DenialCounts } from '../../../policy/denial-log.js';
import type { Policy, PolicyScope } from '../../../policy/policy.js';
import { ECHO_ADDRESS } from './echo.js';
import type { DaemonService } from '../service.js';

/** A policy as the control methods return it. */
export interface PolicyView {
  readonly scope: PolicyScope;
  /** `resource NAME` or `resource-type TYPE`. */
  readonly label: string;
  readonly expression: string;
  readonly createdAt: string;
  /** False when a stored expression no longer compiles (the policy then denies). */
  readonly valid: boolean;
  readonly compileError?: string;
}

/** What `policy.denials` returns. */
export interface PolicyDenials {
  readonly denials: readonly Denial[];
  readonly counts: DenialCounts;
}

/** Control parameters naming a scope: `{ resource: NAME }` or `{ resourceType: TYPE }`. */
export function scopeFromParams(params: Record<string, unknown>): PolicyScope {
  const { resource, resourceType } = params;
  if ((resource === undefined) === (resourceType === undefined)) throw new InvalidInputError('policy', 'give exactly one of resource or resourceType');
  if (resource !== undefined) {
    if (typeof resource !== 'string') throw new InvalidInputError('policy', 'resource must be a name');
    return { kind: 'resource', name: resource };
  }
  if (typeof resourceType !== 'string') throw new InvalidInputError('policy', 'resourceType must be a type name');
  return { kind: 'resource-type', type: resourceType };
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
    ctx.control.register('policy.create', async (params, { signal }): Promise<PolicyView> => {
      const { expression } = params;
      if (typeof expression !== 'string') throw new InvalidInputError('policy', 'policy.create needs an expression');
      const policy = await security.policies.create(scopeFromParams(params), expression, { signal });
      ctx.logger.info({ scope: policy.scope, expression: policy.expression }, 'policy created');
      return policyView(policy);
    });
    ctx.control.register('policy.list', async (_params, { signal }) => ({
      policies: (await security.policies.list({ signal })).map(policyView),
    }));
    ctx.control.register('policy.show', async (params, { signal }): Promise<PolicyView> =>
      policyView(await security.policies.get(scopeFromParams(params), { signal })));
    ctx.control.register('policy.delete', async (params, { signal }) => {
      const scope = scopeFromParams(params);
      await security.policies.delete(scope, { signal });
      ctx.logger.info({ scope }, 'policy deleted');
      return { deleted: scope };
    });
    ctx.control.register('policy.denials', (params): PolicyDenials => {
      const { limit } = params;
      if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 1000)) {
        throw new InvalidInputError('policy', 'limit must be an integer from 1 to 1000');
      }
      return { denials: security.denials.recent(limit ?? 50), counts: security.denials.counts() };
    });
  },
};
