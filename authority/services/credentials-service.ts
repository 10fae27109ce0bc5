import type { Authority } from '../authority.js';
import type { ServiceMethod } from './service-worker.js';
import { credentialToWire } from './wire-records.js';

/**
 * The `credentials` service: `issue {}` issues a fresh credential to the calling member
 * with its current attributes. A caller that is not (or no longer) a member is refused
 * with `credential refused: not a member of this project` (and the refusal is audited).
 * An issued credential whose answer cannot be delivered (the caller's channel closed
 * meanwhile) is recorded as `credential.undelivered` after its `credential.issued`.
 */
export function credentialsMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    issue: async ({ caller, params, signal, onUndelivered }) => {
      params.only();
      const issued = await authority.issueCredentialFor(caller.identifier, { signal });
      onUndelivered((reason) => authority.recordUndelivered(caller.identifier, issued.credentialHash, reason));
      return credentialToWire(issued);
    },
  };
}
