import type { Address } from './address.js';

/** A route: the hops a message still has to take, first hop first. */
export type Route = readonly Address[];

/**
 * What a node knows about the peer a message came from. Never on the wire: set by the
 * TCP receiver (transport) and replaced by a secure channel's decryptor (channel).
 */
export interface MessageOrigin {
  /** `tcp` when the message arrived from another node and no channel vouched for it. */
  readonly via: 'local' | 'tcp' | 'channel';
  /** For `channel`: the authenticated peer identity and its verified attributes. */
  readonly peer?: PeerInfo;
}

/** An authenticated peer as a secure channel reports it. */
export interface PeerInfo {
  /** The peer's identifier (`I` + hex). */
  readonly identifier: string;
  /** Attributes from the peer's verified credential(s); empty when it has none. */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * Identifier of the trusted authority whose credential produced `attributes`;
   * absent when the peer presented no credential that verified against a trusted authority.
   */
  readonly authority?: string;
  /** Local address of the channel's encryptor on this node (where replies go). */
  readonly channel: string;
}

/** A routed message: what travels between workers and nodes. */
export interface Message {
  readonly onwardRoute: Route;
  readonly returnRoute: Route;
  readonly payload: Uint8Array;
  /** Local-only metadata; absent means `{ via: 'local' }`. */
  readonly origin?: MessageOrigin;
}
