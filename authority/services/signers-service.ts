import type { Authority } from '../authority.js';
import type { ServiceMethod } from './service-worker.js';
import { signerToWire } from './wire-records.js';

/**
 * The `signers` service (admins): the authority's attested credential-signing keys, one
 * per project node replica.
 * - `list {}` -> `{ signers }`: every registered key, withdrawn ones too, oldest first
 * - `withdraw { key }` -> `{ signer }`: withdraws key `key` (a `K...` id): issuance with it
 *   stops and member nodes refuse the credentials it signed once they hold the next
 *   revocation list; a replica still holding it makes and registers a new key
 */
export function signersMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    list: async ({ caller, params, signal }) => {
      params.only();
      return { signers: (await authority.listSigners(caller.identifier, { signal })).map(signerToWire) };
    },
    withdraw: async ({ caller, params, signal }) => {
      const key = params.only('key').string('key', 64);
      return { signer: signerToWire(await authority.withdrawSigner(caller.identifier, key, { signal })) };
    },
  };
}
