import type { Logger } from '../logger.js';
import type { Message } from '../routing/message.js';
import type { AccessControl } from './access-control.js';
import type { WorkerContext } from './worker.js';

/** Options for {@link Node}. */
export interface NodeOptions {
  /** The node's name (logs, CLI). */
  name: string;
  logger?: Logger;
  /**
   * Whether a message that arrived over bare TCP (no secure channel vouched for its
   * sender) may be forwarded to another TCP address. Off by default, so an
   * unauthenticated peer cannot use the node as an open proxy or make it connect to
   * arbitrary endpoints. Channel-authenticated traffic (nested channels) and replies over
   * existing connections are not affected.
   */
  allowTcpForwarding?: boolean;
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
  /** Messages refused by an incoming or outgoing access control. */
  denied: number;
  /** Messages that could not be decoded or had no onward route. */
  malformed: number;
  /** Handler calls that threw or rejected. */
  workerErrors: number;
}

/** Routes messages whose first hop is not local (e.g. TCP). */
export type Router = (message: Message) => void;
