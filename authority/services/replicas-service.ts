import { UnauthorizedError } from '../../core/errors.js';
import type { Authority } from '../authority.js';
import type { ServiceMethod } from './service-worker.js';

/**
 * The `replicas` service: `routes {}` -> `{ routes }`, the routes of the project's live
 * replicas, the answering one first (see docs/scaling.md, "Members learn new replicas").
 * Members of any role ask on connect and every few seconds and keep the answer in their
 * project records, so a replica added after they enrolled is one they fail over to, and a
 * removed one drops out. The answer is only as trustworthy as the channel it came through:
 * members accept it only from the project's authority identity. A refusal is not audited
 * (it changes nothing).
 */
export function replicasMethods(authority: Authority): Record<string, ServiceMethod> {
  return {
    routes: async ({ caller, params, signal }) => {
      params.only();
      const membership = await authority.membershipOf(caller.identifier, { signal });
      if (membership === 'not-a-member') throw new UnauthorizedError('authority', 'replicas.routes refused: not a member of this project');
      if (membership === 'suspended') throw new UnauthorizedError('authority', 'replicas.routes refused: this member is suspended');
      return { routes: authority.replicaRoutes() };
    },
  };
}
