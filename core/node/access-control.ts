import type { Message } from '../routing/message.js';

/** Which way a message crosses a worker's address. */
export type Direction = 'incoming' | 'outgoing';

/** What an access control decides about. */
export interface AccessRequest {
  /** The worker address being guarded. */
  readonly address: string;
  readonly direction: Direction;
  readonly message: Message;
}

/**
 * Decides whether a message may reach (incoming) or leave (outgoing) a worker address.
 * Attached to an address when its worker starts, never called from inside workers.
 * Implementations must not throw: an error is treated as a denial by the node.
 * `policy/` implements this with CEL; core ships the simple ones below.
 */
export interface AccessControl {
  isAuthorized(request: AccessRequest): boolean | Promise<boolean>;
}

/** Allows every message. A worker opts in to remote traffic with this. */
export const allowAll: AccessControl = { isAuthorized: () => true };

/** Denies every message. */
export const denyAll: AccessControl = { isAuthorized: () => false };

/** Allows messages that originate on this node; denies anything from TCP or a channel. */
export const allowLocal: AccessControl = {
  isAuthorized: ({ message }) => (message.origin?.via ?? 'local') === 'local',
};

/** Allows messages that came through a secure channel (any authenticated peer) or locally. */
export const allowSecureChannelOrLocal: AccessControl = {
  isAuthorized: ({ message }) => (message.origin?.via ?? 'local') !== 'tcp',
};

/** Allows messages that came through a secure channel from one of `identifiers`. */
export function allowIdentifiers(identifiers: Iterable<string>): AccessControl {
  const set = new Set(identifiers);
  return {
    isAuthorized: ({ message }) => message.origin?.via === 'channel' && set.has(message.origin.peer?.identifier ?? ''),
  };
}

/** All must allow. */
export function allOf(...controls: AccessControl[]): AccessControl {
  return {
    async isAuthorized(request) {
      for (const c of controls) if (!(await c.isAuthorized(request))) return false;
      return true;
    },
  };
}
