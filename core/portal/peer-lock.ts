import { sameAddress } from '../routing/address.js';
import type { Address } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import type { AccessControl, AccessRequest } from '../node/access-control.js';

/**
 * An access control that pins a portal session to its peer: once locked on a message, it
 * admits only messages whose return route starts with the same hop (the same channel or
 * connection) and whose authenticated peer, if any, has the same identifier. Unlocked, it
 * admits everything (the session's own state machine accepts only the opening reply).
 */
export class PeerLock implements AccessControl {
  private head: Address | undefined;
  private identifier: string | undefined;
  private locked = false;

  /** Pins the lock to the sender of `message`. */
  lock(message: Message): void {
    this.head = message.returnRoute[0];
    this.identifier = message.origin?.peer?.identifier;
    this.locked = true;
  }

  /** True once {@link lock} was called. */
  get isLocked(): boolean {
    return this.locked;
  }

  /** Admits only messages from the pinned peer (see the class comment). */
  isAuthorized({ message }: AccessRequest): boolean {
    if (!this.locked) return true;
    const head = message.returnRoute[0];
    if (head === undefined || this.head === undefined || !sameAddress(head, this.head)) return false;
    return message.origin?.peer?.identifier === this.identifier;
  }

  /** A lock already pinned to the sender of `message`. */
  static lockedTo(message: Message): PeerLock {
    const l = new PeerLock();
    l.lock(message);
    return l;
  }
}

/**
 * `control` and then `lock`, without turning a synchronous decision into a promise
 * (per-message hot path): the lock is checked first, then `control` decides.
 */
export function withPeerLock(control: AccessControl, lock: PeerLock): AccessControl {
  return { isAuthorized: (request) => lock.isAuthorized(request) && control.isAuthorized(request) };
}
