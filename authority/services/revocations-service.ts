import { UnauthorizedError } from '../../core/errors.js';
import type { Authority } from '../authority.js';
import { signedListToWire } from '../revocation-list.js';
import type { ServiceMethod } from './service-worker.js';
import type { WireMap } from './protocol.js';

/**
 * The `revocations` service: `list {}` -> `{ list, signatureType, signature, attestation }`,
 * the identities whose access the authority revoked (removed or suspended members), signed
 * by its credential-signing key (see docs/authority.md, "Revocation"). Members of any role
 * may ask; nodes ask every few seconds. A refusal is not audited: it changes nothing, and a
 * removed member's node asking again must not fill the log.
 */
export function revocationsMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    list: async ({ caller, params, signal }) => {
      params.only();
      const membership = await authority.membershipOf(caller.identifier, { signal });
      if (membership === 'not-a-member') throw new UnauthorizedError('authority', 'revocations.list refused: not a member of this project');
      if (membership === 'suspended') throw new UnauthorizedError('authority', 'revocations.list refused: this member is suspended');
      return signedListToWire(await authority.signedRevocationList({ signal })) as WireMap;
    },
  };
}
