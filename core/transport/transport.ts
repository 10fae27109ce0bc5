import type { Node } from '../node/node.js';
import type { AddressType } from '../routing/address.js';
import type { Message } from '../routing/message.js';

/** What a transport reports about one of its open connections. */
export interface TransportConnectionInfo {
  /** Local worker address of the connection (replies route through it). */
  readonly workerAddress: string;
  /** Address of the peer in the transport's own form (`host:port` for TCP; as dialed for outgoing connections). */
  readonly remote: string;
  readonly direction: 'incoming' | 'outgoing';
  /** Milliseconds since the epoch. */
  readonly openedAt: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bytes written but not yet taken by the operating system. */
  readonly bufferedBytes: number;
  /** True while reading is paused because a connection it feeds is congested. */
  readonly paused: boolean;
}

/** The limits every transport takes, each with a default (see the transport). */
export interface TransportLimits {
  /** Largest frame body accepted or sent, in bytes; checked before anything is allocated. */
  readonly maxFrameSize?: number;
  /** Buffered bytes past which a connection pauses the connections feeding it. */
  readonly writeHighWaterMark?: number;
  /** Buffered bytes past which a connection is closed (its peer does not read). */
  readonly maxBufferedBytes?: number;
  /** Incoming connections open at once, in all and from one source (remote address); more are closed on arrival. */
  readonly maxIncomingConnections?: number;
  readonly maxConnectionsPerSource?: number;
  /** Bytes buffered for peers that do not read, per source and in all; past them the congested connection written to is closed. */
  readonly maxBufferedBytesPerSource?: number;
  readonly maxBufferedBytesTotal?: number;
  /** Bytes of partly received frames, per source and in all; past them the connection that wants more is closed. */
  readonly maxPartialFrameBytesPerSource?: number;
  readonly maxPartialFrameBytesTotal?: number;
}

/**
 * A way for a node to reach other nodes: TCP today. A transport serves one route
 * address type (the type byte of core/routing/address.ts): when it is created it
 * registers itself as the node's router for that type, so a message whose first onward
 * hop has that type is written to an open connection, or to one it opens on demand.
 * Every connection is a worker on the node; a message that arrives on it gets the
 * connection's worker address pushed onto its return route, so replies go back the
 * same way.
 *
 * What every transport guarantees (checked by testing/transport-contract.ts): messages
 * on one connection keep their order; a frame larger than `maxFrameSize` closes that
 * connection only, before anything is allocated for it; what a slow reader makes the
 * sender buffer is bounded (`maxBufferedBytes` and the per-source budgets, then the connection is closed); a close is seen by both
 * sides (`onClosed`, `closedSignal`); malformed input never crashes the node; hundreds of
 * connections at once work.
 */
export interface Transport {
  /** A short name for logs and `node.info`: `tcp`. */
  readonly name: string;
  /** The route address type this transport routes. */
  readonly addressType: AddressType;
  /** Listens on `address` (in the transport's own form); resolves with the actual address. */
  listen(address: string, options?: { signal?: AbortSignal }): Promise<{ address: string }>;
  /**
   * Opens (or reuses) the outgoing connection to `address`; routing also connects lazily.
   * `timeoutMs` bounds a connect this call starts; `signal` stops this call's wait.
   */
  connect(address: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<TransportConnectionInfo>;
  /** Snapshots of every open connection. */
  connections(): TransportConnectionInfo[];
  /** Worker addresses of the listeners. */
  listeners(): string[];
  /**
   * A signal that aborts when the connection at `workerAddress` closes (already aborted
   * when it closed before); undefined for an address that is not one of this transport's
   * open connections. Pass it to `node.request` so a pending request fails at once.
   */
  closedSignal(workerAddress: string): AbortSignal | undefined;
  /** Calls `listener` after a connection closed. Returns an unsubscribe function. */
  onClosed(listener: (info: TransportConnectionInfo) => void): () => void;
  /**
   * The source (remote IP address) of a message that arrived on one of this transport's
   * connections (its return route's first hop); undefined otherwise. For per-source bounds
   * of other parts (pending handshakes).
   */
  sourceOf?(message: Message): string | undefined;
  /** Closes listeners, connections and pending connects; removes the router. Idempotent. */
  stop(): Promise<void>;
}

/**
 * One kind of transport, as the node runtime lists them (node/daemon/transports.ts):
 * adding a transport is one file that exports its class and kind, plus one line there.
 */
export interface TransportKind {
  /** Same as the transport's `name`. */
  readonly name: string;
  /** Same as the transport's `addressType`. */
  readonly addressType: AddressType;
  /** Creates the transport on `node` (it registers its router and stops with the node). */
  create(node: Node, limits?: TransportLimits): Transport;
}
