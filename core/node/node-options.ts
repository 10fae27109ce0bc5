import type { Logger } from '../logger.js';
import type { Address } from '../routing/address.js';
import type { Message } from '../routing/message.js';
import type { AccessControl } from './access-control.js';
import type { WorkerContext } from './worker.js';

/** Options for {@link Node}. */
export interface NodeOptions {
  /** The node's name (logs, CLI). */
  name: string;
  logger?: Logger;
  /**
   * Transport hops (e.g. `tcp('10.0.0.5:4000')`, compared exactly) to which a message that
   * arrived from outside this node (over a transport or a secure channel) may be routed
   * directly. Empty by default: such a message leaves the node only through a worker
   * that means to forward it (a relay, a portal, a channel's reply path), never by naming
   * a transport hop, so no peer can use the node as an open proxy or make it connect to
   * arbitrary endpoints (the routing trust boundary, docs/threat-model.md).
   */
  allowForwardingTo?: Iterable<Address>;
}

/**
 * Called when a worker address's incoming access control denies a message, after the
 * denial is counted and logged. The worker's handler never sees the message; `ctx` is the
 * worker's own context, so anything sent from here passes its outgoing access control.
 * Lets a protocol end a refused exchange promptly (e.g. a portal outlet answers a denied
 * `ping` with a bare `disconnect`) without moving the decision into the worker. It must
 * reveal nothing about why; a throw is logged and counted as a worker error.
 */
export type DeniedHandler = (ctx: WorkerContext, message: Message) => void;

/** Access controls attached to a worker address. */
export interface AccessControls {
  incoming?: AccessControl;
  outgoing?: AccessControl;
  /** Optional hook for messages the incoming control denied (see {@link DeniedHandler}). */
  onIncomingDenied?: DeniedHandler;
}

/** Counters a node keeps; they only grow. */
export interface NodeStats {
  /** Messages handed to a worker's handler. */
  delivered: number;
  /** Messages that could not be delivered (no such worker, no router, stopped). */
  dropped: number;
  /** Messages refused by an incoming or outgoing access control (or the routing boundary). */
  denied: number;
  /** Messages from outside the node refused because they named a transport hop not allowed for forwarding. */
  forwardingRefused: number;
  /** Messages that could not be decoded or had no onward route. */
  malformed: number;
  /** Handler calls that threw or rejected. */
  workerErrors: number;
}

/** Routes messages whose first hop is not local (e.g. TCP). */
export type Router = (message: Message) => void;
