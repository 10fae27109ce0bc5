import type { Message, Route } from '../routing/message.js';
import type { Logger } from '../logger.js';

/**
 * A worker handles the messages addressed to it. Messages arrive one at a time, in order;
 * `handleMessage` may be async and the next message waits for it. When it receives a
 * message, the worker's own address is still first on the onward route
 * (use `stepForward` from `routing/route.ts` to pop it and push it on the return route).
 * A worker that throws is logged and isolated; the node keeps running.
 */
export interface Worker {
  handleMessage(ctx: WorkerContext, message: Message): void | Promise<void>;
  /** Called once after the worker is registered, before any message. */
  initialize?(ctx: WorkerContext): void | Promise<void>;
  /** Called once when the worker or the node stops. */
  shutdown?(ctx: WorkerContext): void | Promise<void>;
}

/** What a worker may do: send through its node, under its outgoing access control. */
export interface WorkerContext {
  /** This worker's local address. */
  readonly address: string;
  readonly logger: Logger;
  /** Sends `payload` along `onward`; the return route defaults to this worker's address. */
  send(onward: Route, payload: Uint8Array, returnRoute?: Route): void;
  /** Sends an already-built message (for workers that forward). */
  forward(message: Message): void;
}
