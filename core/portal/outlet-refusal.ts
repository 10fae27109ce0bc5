import { DisconnectReason } from './portal-message.js';
import type { DisconnectReasonCode } from './portal-message.js';

/**
 * What an inlet tells its operator when the outlet answered a ping with `disconnect`:
 * which of the outlet's refusals it was (policy, unreachable target, capacity), and where
 * on the outlet's node to look. The reason code is all the outlet revealed; the text adds
 * nothing the inlet does not already know (`outlet` is the address the inlet pings).
 */
export function describeOutletRefusal(reason: DisconnectReasonCode, outlet: string): string {
  switch (reason) {
    case DisconnectReason.deniedByPolicy:
      return `refused by the outlet's policy (reason ${reason}): on the outlet's node, see 'symbolon policy denials'`;
    case DisconnectReason.connectFailed:
      return `the outlet's target is unreachable (reason ${reason}): on the outlet's node, see 'symbolon tcp-outlet show ${outlet}'`;
    case DisconnectReason.atCapacity:
      return `the outlet is at capacity (reason ${reason}: too many sessions from this node, or in total): on the outlet's node, see 'symbolon tcp-outlet show ${outlet}'`;
    case DisconnectReason.shutdown:
      return `the outlet is stopping (reason ${reason})`;
    case DisconnectReason.unsupportedVersion:
      return `the outlet speaks another portal protocol version (reason ${reason}): update the older node`;
    default:
      return `the outlet refused the session (reason ${reason}): on the outlet's node, see 'symbolon tcp-outlet show ${outlet}' and 'symbolon policy denials'`;
  }
}
