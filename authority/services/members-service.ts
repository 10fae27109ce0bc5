import { NotFoundError } from '../../core/errors.js';
import type { Role } from '../authority-store.js';
import type { Authority } from '../authority.js';
import { takePage } from './page-budget.js';
import type { ServiceMethod } from './service-worker.js';
import { memberToWire } from './wire-records.js';

/**
 * The `members` service (admins; `show` also for a member asking about itself):
 * - `add { identifier, attributes?, role?, mayGrant?, mayGrantRelays? }` -> `{ member }` (the
 *   scope lists apply to enrollers)
 * - `list { after? }` -> `{ members, next? }`: members ordered by identifier, one page at a
 *   time; pass `next` as `after` for the following page
 * - `show { identifier }` -> `{ member }` (not-found error when it is not a member)
 * - `remove { identifier }` -> `{ removed, accessEndedAt?, revokedUntil? }` (false when it was
 *   not a member); its credentials are revoked from `accessEndedAt` on
 * - `suspend { identifier }` -> `{ accessEndedAt }`, `resume { identifier }` -> `{ resumed }`
 * - `attribute-names {}` -> `{ names }`: the attribute names members carry (any member)
 */
export function membersMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    add: async ({ caller, params, signal }) => {
      params.only('identifier', 'attributes', 'role', 'mayGrant', 'mayGrantRelays');
      const identifier = params.string('identifier', 256);
      const member = await authority.addMember(caller.identifier, identifier, {
        attributes: params.optionalStringMap('attributes') ?? {},
        role: (params.optionalString('role', 16) ?? 'member') as Role,
        grants: { attributes: params.optionalStringList('mayGrant') ?? [], relays: params.optionalStringList('mayGrantRelays') ?? [] },
      }, { signal });
      return { member: memberToWire(member) };
    },
    list: async ({ caller, params, signal }) => {
      const after = params.only('after').optionalString('after', 256);
      const all = await authority.listMembers(caller.identifier, { signal });
      const { page, more } = takePage(all.filter((m) => after === undefined || m.identifier > after).map(memberToWire));
      return more ? { members: page, next: page.at(-1)!.identifier } : { members: page };
    },
    show: async ({ caller, params, signal }) => {
      const identifier = params.only('identifier').string('identifier', 256);
      const member = await authority.getMember(caller.identifier, identifier, { signal });
      if (member === undefined) throw new NotFoundError('authority', `${identifier} is not a member of this project`);
      return { member: memberToWire(member) };
    },
    'attribute-names': async ({ caller, params, signal }) => {
      params.only();
      return { names: await authority.attributeNames(caller.identifier, { signal }) };
    },
    remove: async ({ caller, params, signal }) => {
      const identifier = params.only('identifier').string('identifier', 256);
      const revocation = await authority.removeMember(caller.identifier, identifier, { signal });
      return revocation === undefined ? { removed: false } : { removed: true, accessEndedAt: revocation.revokedAt, revokedUntil: revocation.until };
    },
    suspend: async ({ caller, params, signal }) => {
      const identifier = params.only('identifier').string('identifier', 256);
      return { accessEndedAt: (await authority.suspendMember(caller.identifier, identifier, { signal })).revokedAt };
    },
    resume: async ({ caller, params, signal }) => {
      const identifier = params.only('identifier').string('identifier', 256);
      return { resumed: await authority.resumeMember(caller.identifier, identifier, { signal }) };
    },
  };
}
