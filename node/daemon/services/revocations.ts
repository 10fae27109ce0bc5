import type { RevocationsView } from '../../api/project-views.js';
import { withIsoTimes } from '../../api/iso-time.js';
import { NodeRevocations } from '../node-revocations.js';
import { revokedResponderRefusal } from '../revoked-peers.js';
import type { DaemonService } from '../service.js';

/**
 * Applies revocations on this node from its first moment: loads the revocation lists kept
 * from before a restart (verified again) and makes the node's attribute store refuse
 * revoked credentials, before any channel opens; the channels the node opens itself
 * (inlets, relays, `secure-channel create`) refuse a revoked responder during the
 * handshake, as its listeners refuse a revoked initiator. The project membership service
 * keeps the lists fresh; the authority service feeds its own. Node API method
 * `revocations.show`.
 */
export const revocationsService: DaemonService = {
  name: 'revocations',
  start(ctx) {
    const revocations = NodeRevocations.of(ctx);
    ctx.channels.refuseResponders(revokedResponderRefusal(ctx));
    ctx.api.register('revocations.show', (): RevocationsView => ({ lists: revocations.state().map((l) => withIsoTimes(l, ['issuedAt'])) }));
  },
};
