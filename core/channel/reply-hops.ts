import type { AccessControl } from '../node/access-control.js';
import { addressToString } from '../routing/address.js';
import type { Address } from '../routing/address.js';

/** Default number of reply addresses a channel remembers. */
export const DEFAULT_MAX_REPLY_HOPS = 4096;

/**
 * The return addresses the peer used in messages this node received through a channel,
 * most recent last, bounded (least recently used forgotten first). A message from
 * another node may enter the channel's encryptor only as a reply to one of them.
 */
export class ReplyHops {
  private readonly hops = new Set<string>();
  private lastType = -1;
  private lastValue = '';

  constructor(private readonly max = DEFAULT_MAX_REPLY_HOPS) {}

  /** Records `hop` (the first hop of an inner return route, before the encryptor is pushed). */
  record(hop: Address): void {
    if (hop.type === this.lastType && hop.value === this.lastValue) return;
    this.lastType = hop.type;
    this.lastValue = hop.value;
    const key = addressToString(hop);
    this.hops.delete(key);
    this.hops.add(key);
    if (this.hops.size > this.max) this.hops.delete(this.hops.values().next().value as string);
  }

  /** True when `hop` is a remembered reply address. */
  has(hop: Address): boolean {
    return this.hops.has(addressToString(hop));
  }

  /** Forgets everything. */
  clear(): void {
    this.hops.clear();
    this.lastType = -1;
    this.lastValue = '';
  }
}

/**
 * The default incoming access control of a channel encryptor: any message from this node;
 * from another node (TCP or a channel) only a reply, i.e. one whose next hop after the
 * encryptor is a return address the peer itself used (see {@link ReplyHops}). So a third
 * party cannot use the channel to reach arbitrary addresses on the peer, while replies
 * from a node the peer reached through this one (a nested channel's handshake and frames,
 * a relay) come back.
 */
export function encryptorAccessControl(hops: ReplyHops): AccessControl {
  return {
    isAuthorized: ({ message }) => {
      if ((message.origin?.via ?? 'local') === 'local') return true;
      const next = message.onwardRoute[1];
      return next !== undefined && hops.has(next);
    },
  };
}
