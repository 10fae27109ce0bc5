import { Params } from '../../core/params.js';
import type { ParamMap } from '../../core/params.js';
import type { PolicyMode, PolicyScope } from '../../policy/policy.js';
import type { PolicyView } from './policy-view.js';

/**
 * The worker address of a member node's policy service, reached by the project's admins
 * through the node's management route (`member.<identifier>` at the project node) and an
 * end-to-end secure channel. Requests and replies use the authority request/response
 * format (authority/services/protocol.ts); methods `create { resource | resourceType,
 * expression, mode? }`, `list {}`, `show { resource | resourceType }`, `delete { ... }`.
 */
export const MEMBER_POLICY_ADDRESS = 'member_policies';

/** The methods of the member policy service. */
export type MemberPolicyMethod = 'create' | 'list' | 'show' | 'delete';

/** A policy view as a CBOR map (no undefined fields). */
export function policyViewToWire(view: PolicyView): Record<string, unknown> {
  return {
    scope: view.scope.kind === 'resource' ? { kind: 'resource', name: view.scope.name } : { kind: 'resource-type', type: view.scope.type },
    label: view.label, expression: view.expression, createdAt: view.createdAt, valid: view.valid, mode: view.mode,
    ...(view.compileError !== undefined ? { compileError: view.compileError } : {}),
  };
}

/** A policy view read back from a member node's reply; throws InvalidInputError (origin `policy`) on a malformed one. */
export function policyViewFromWire(map: ParamMap): PolicyView {
  const p = new Params(map, 'policy').only('scope', 'label', 'expression', 'createdAt', 'valid', 'mode', 'compileError');
  const mode = p.string('mode', 16);
  const compileError = p.optionalString('compileError', 4096);
  return {
    scope: scopeFromWire(p.nested('scope')), label: p.string('label', 256), expression: p.string('expression', 64 * 1024),
    createdAt: p.string('createdAt', 64), valid: p.boolean('valid'), mode: (mode === 'audit' ? 'audit' : 'enforce') as PolicyMode,
    ...(compileError !== undefined ? { compileError } : {}),
  };
}

/** A policy scope read from a CBOR map. */
export function scopeFromWire(map: ParamMap): PolicyScope {
  const p = new Params(map, 'policy');
  const kind = p.string('kind', 16);
  if (kind === 'resource') return { kind, name: p.only('kind', 'name').string('name', 128) };
  return { kind: 'resource-type', type: p.only('kind', 'type').string('type', 128) };
}
