import type { Message } from '../routing/message.js';
import type { Worker, WorkerContext } from './worker.js';

/**
 * Replies to every message with the same payload, sent along the message's return route
 * (its own address becomes the reply's return route). Used by tests and the `echo` service.
 * A message without a return route is ignored.
 */
export class EchoWorker implements Worker {
  /** {@inheritDoc Worker.handleMessage} */
  handleMessage(ctx: WorkerContext, message: Message): void {
    if (message.returnRoute.length === 0) return;
    ctx.send(message.returnRoute, message.payload);
  }
}
