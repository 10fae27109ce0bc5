import { local } from '../../routing/address.js';
import type { Address } from '../../routing/address.js';
import type { Message, PeerInfo } from '../../routing/message.js';
import type { Worker, WorkerContext } from '../../node/worker.js';

/**
 * For tests without secure channels: a worker that vouches for an identity the way a
 * channel's decryptor does. A message arriving from another node (origin `tcp`) goes on
 * with `origin.peer` set to `identifier`; a local message (a reply) goes on unchanged.
 * Both directions pop the gateway and push it on the return route, as a channel end would.
 */
export class PeerGateway implements Worker {
  private self: Address | undefined;
  private peer: PeerInfo | undefined;

  constructor(private readonly identifier: string, private readonly attributes: Record<string, string> = {}) {}

  /** {@inheritDoc Worker.initialize} */
  initialize(ctx: WorkerContext): void {
    this.self = local(ctx.address);
    this.peer = { identifier: this.identifier, attributes: this.attributes, channel: ctx.address };
  }

  /** {@inheritDoc Worker.handleMessage} */
  handleMessage(ctx: WorkerContext, message: Message): void {
    const base = { onwardRoute: message.onwardRoute.slice(1), returnRoute: [this.self!, ...message.returnRoute], payload: message.payload };
    if (message.origin?.via === 'tcp') ctx.forward({ ...base, origin: { via: 'channel', peer: this.peer! } });
    else ctx.forward(base);
  }
}
