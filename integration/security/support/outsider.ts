import { createSecureChannel } from '../../../core/channel/create-secure-channel.js';
import type { SecureChannel } from '../../../core/channel/secure-channel.js';
import { testActor, type TestActor } from '../../../core/channel/testing/channel-fixtures.js';
import type { Address } from '../../../core/routing/address.js';
import { local, tcp } from '../../../core/routing/address.js';
import type { Message } from '../../../core/routing/message.js';

/**
 * An outsider: a real node (in this process) with a brand-new identity and no credential,
 * as anyone on the network can make one. It opens secure channels and sends messages with
 * the product's own core classes.
 */
export class Outsider {
  private constructor(readonly actor: TestActor) {}

  /** Starts the outsider's node. Stop with `stop()`. */
  static async start(name = 'outsider'): Promise<Outsider> {
    return new Outsider(await testActor(name, undefined, {}, []));
  }

  /** Opens a secure channel to the listener at `route` (default `api` on `hostPort`). */
  channelTo(route: readonly Address[], timeoutMs = 5_000): Promise<SecureChannel> {
    return createSecureChannel(this.actor.node, route, { ...this.actor.options(), handshakeTimeoutMs: timeoutMs, authorize: () => true });
  }

  /** The route to node `hostPort`'s secure channel listener. */
  static api(hostPort: string): Address[] {
    return [tcp(hostPort), local('api')];
  }

  /** Sends `payload` along `onward` and resolves with the reply, or undefined after `timeoutMs`. */
  async ask(onward: readonly Address[], payload: Uint8Array, timeoutMs = 1_500): Promise<Message | undefined> {
    try {
      return await this.actor.node.request(onward, payload, { timeoutMs });
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    await this.actor.node.stop();
  }
}
