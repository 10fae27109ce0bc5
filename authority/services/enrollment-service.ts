import { SymbolonError } from '../../core/errors.js';
import type { Authority } from '../authority.js';
import { TICKET_CODE_LENGTH } from '../ticket-code.js';
import type { ServiceMethod } from './service-worker.js';
import { credentialToWire, memberToWire } from './wire-records.js';

/**
 * The `enrollment` service: `redeem { code }` redeems a ticket code for the calling channel
 * peer, which becomes a member with the ticket's attributes and role. The result holds the
 * member record and its first credential (`credential`), or `credentialError` when the
 * membership was recorded but the credential could not be issued (the caller then asks the
 * `credentials` service). Any channel peer may call it: the ticket is the authorisation.
 */
export function enrollmentMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    redeem: async ({ caller, params, signal }) => {
      const code = params.only('code').bytes('code', TICKET_CODE_LENGTH);
      const member = await authority.redeemTicket(code, caller.identifier, { signal });
      try {
        const credential = await authority.issueCredentialFor(caller.identifier, { signal });
        return { member: memberToWire(member), credential: credentialToWire(credential) };
      } catch (error) {
        if (!(error instanceof SymbolonError)) throw error;
        return { member: memberToWire(member), credentialError: error.message };
      }
    },
  };
}
