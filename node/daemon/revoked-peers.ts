import type { AccessControl } from '../../core/node/access-control.js';
import type { PeerInfo } from '../../core/routing/message.js';
import { NodeRevocations } from './node-revocations.js';
import type { EnforcedResource } from '../../policy/policy-enforcement.js';
import type { DaemonContext } from './service.js';

/** True when a peer must be refused; undefined peers (bare TCP, local) are never refused here. */
export type RevokedPeerCheck = (peer: PeerInfo | undefined) => boolean;

/** Options of {@link revokedPeerCheck}. */
export interface RevokedPeerCheckOptions {
  /**
   * Ignore the list of the authority this node itself is (a project node's listener: its
   * authority answers the identities it revoked, "not a member" or "suspended", so their
   * nodes stop asking, and lets them reach nothing else; see `projectMemberAccess`).
   */
  readonly exceptOwnAuthority?: boolean;
}

/**
 * The node's refusal of revoked identities at an enforcement point that decides on a peer
 * (a secure-channel listener, a TCP outlet, a TCP inlet's check of its outlet): true when an
 * authority the node trusts lists the peer as suspended or removed and the peer holds no
 * newer credential from it (see `NodeRevocations.refuses`). It runs before the point's policy
 * and wins over it, so a policy that needs no credential (`true`, or one naming an
 * identifier) cannot admit a revoked identity. Each refusal is recorded in the denial log
 * with the authority and the kind of revocation.
 */
export function revokedPeerCheck(ctx: DaemonContext, resource: EnforcedResource, action: string, options: RevokedPeerCheckOptions = {}): RevokedPeerCheck {
  const revocations = NodeRevocations.of(ctx);
  const except = options.exceptOwnAuthority === true ? ctx.identity.identifier : undefined;
  return (peer) => {
    if (peer === undefined) return false;
    const revoked = revocations.revocationOf(peer, except);
    if (revoked === undefined) return false;
    ctx.policy.recordRefusal(resource, action, peer, `refused whatever the policy says: the identity is revoked by authority ${revoked.authority} (${revoked.kind})`);
    return true;
  };
}

/** `control` with revoked channel peers refused first (messages without a channel peer go to `control` as they are). */
export function refusingRevoked(control: AccessControl, check: RevokedPeerCheck): AccessControl {
  return {
    isAuthorized: (request) => {
      const origin = request.message.origin;
      const peer = origin?.via === 'channel' ? origin.peer : undefined;
      // Per message on outlet sessions: one lookup, no allocation.
      return check(peer) ? false : control.isAuthorized(request);
    },
  };
}

/**
 * The node's refusal of revoked responders, for the channels it opens itself (inlets'
 * channels, relay registrations, `secure-channel create`; see `ChannelManager.refuseResponders`):
 * the reason when an authority the node trusts lists the responder as suspended or removed
 * and it holds no newer credential from it, else undefined. Each refusal is recorded in the
 * denial log (resource type `secure-channel`, the channel's address, action `open`).
 */
export function revokedResponderRefusal(ctx: DaemonContext): (peer: PeerInfo) => string | undefined {
  const revocations = NodeRevocations.of(ctx);
  return (peer) => {
    const revoked = revocations.revocationOf(peer);
    if (revoked === undefined) return undefined;
    const reason = `the responder ${peer.identifier} is revoked by authority ${revoked.authority} (${revoked.kind})`;
    ctx.policy.recordRefusal({ type: 'secure-channel', name: peer.channel ?? '-' }, 'open', peer, `refused whatever the policy says: ${reason}`);
    return reason;
  };
}
