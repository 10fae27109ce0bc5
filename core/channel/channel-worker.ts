import type { Message } from '../routing/message.js';
import type { Worker, WorkerContext } from '../node/worker.js';

/** What a channel worker does with one message. */
export type ChannelMessageHandler = (ctx: WorkerContext, message: Message) => void | Promise<void>;

/**
 * The worker behind a channel address (a decryptor or an encryptor). The decryptor's
 * handler changes as the handshake moves on (message 2 or 3, then transport frames);
 * `onShutdown` lets the channel tear itself down when the node stops the worker.
 */
export class ChannelWorker implements Worker {
  /** The context, set once the node registered the worker. */
  context: WorkerContext | null = null;
  /** Called (once) when the worker is stopped. */
  onShutdown: (() => void) | null = null;

  constructor(public handler: ChannelMessageHandler) {}

  /** {@inheritDoc Worker.initialize} */
  initialize(ctx: WorkerContext): void {
    this.context = ctx;
  }

  /** {@inheritDoc Worker.handleMessage} */
  handleMessage(ctx: WorkerContext, message: Message): void | Promise<void> {
    return this.handler(ctx, message);
  }

  /** {@inheritDoc Worker.shutdown} */
  shutdown(): void {
    const hook = this.onShutdown;
    this.onShutdown = null;
    this.context = null;
    hook?.();
  }
}
