import type { Authority } from '../authority.js';
import type { ServiceMethod } from './service-worker.js';

/**
 * The `tickets` service: `create { attributes?, usageCount?, expiresInMs?, relays?, enroller?,
 * mayGrant?, mayGrantRelays? }` creates an enrollment ticket for the calling admin or enroller
 * (only admins may create enroller tickets, whose `mayGrant` / `mayGrantRelays` bound what the
 * new enroller may grant; an enroller's own tickets must stay inside its scope) and returns `{ ticket, hash, expiresAt, usageCount }`, where `ticket`
 * is the single printable line to hand to the enrollee.
 */
export function ticketsMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    create: async ({ caller, params, signal }) => {
      params.only('attributes', 'usageCount', 'expiresInMs', 'relays', 'enroller', 'mayGrant', 'mayGrantRelays');
      const created = await authority.createTicket(caller.identifier, {
        attributes: params.optionalStringMap('attributes'),
        usageCount: params.optionalInteger('usageCount'),
        expiresInMs: params.optionalInteger('expiresInMs'),
        relays: params.optionalStringList('relays'),
        enroller: params.optionalBoolean('enroller'),
        mayGrant: params.optionalStringList('mayGrant'),
        mayGrantRelays: params.optionalStringList('mayGrantRelays'),
      }, { signal });
      return { ticket: created.ticket, hash: created.hash, expiresAt: created.expiresAt, usageCount: created.usageCount };
    },
  };
}
