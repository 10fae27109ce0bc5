import type { Authority } from '../authority.js';
import type { ServiceMethod } from './service-worker.js';
import { credentialToWire } from './wire-records.js';

/**
 * The `credentials` service: `issue {}` issues a fresh credential to the calling member
 * with its current attributes. A caller that is not (or no longer) a member is refused
 * with `credential refused: not a member of this project` (and the refusal is audited).
 */
export function credentialsMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    issue: async ({ caller, params, signal }) => {
      params.only();
      return credentialToWire(await authority.issueCredentialFor(caller.identifier, { signal }));
    },
  };
}
