import { LOCAL } from '../routing/address.js';
import type { SecureChannel } from './secure-channel.js';
import type { SecureChannelOptions } from './secure-channel-options.js';
import type { SecureChannelRegistry } from './secure-channel-registry.js';

/**
 * Notices that a channel is dead and tears it down (so `onClosed` fires and relays or
 * inlets built on it can rebuild):
 * - the channel's first hop is another channel's encryptor (a nested channel): when
 *   that channel closes;
 * - the first hop is a TCP connection worker and `options.transport` is given: when that
 *   connection closes;
 * - `options.keepAliveMs` > 0: every period, a probe unless something authentic arrived
 *   in the last half period (a busy channel sends none); nothing received for `keepAliveTimeoutMs`
 *   (default 3 periods) closes the channel, telling the peer (a frozen peer learns it as soon
 *   as it runs again). After this process itself did not run for more than two periods (it
 *   was frozen), the first check only probes: the peer gets one more period to answer.
 */
export class ChannelLiveness {
  private readonly unsubscribes: Array<() => void> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly channel: SecureChannel,
    private readonly options: SecureChannelOptions,
    private readonly registry: SecureChannelRegistry,
  ) {}

  /** Starts watching. */
  start(): void {
    const first = this.channel.route[0];
    if (first !== undefined && first.type === LOCAL) {
      const parent = this.registry.get(first.value);
      if (parent !== undefined && parent.address === first.value) {
        this.unsubscribes.push(parent.onClosed(() => this.dead('the channel it runs through closed')));
      } else if (this.options.transport) {
        this.unsubscribes.push(this.options.transport.onClosed((info) => {
          if (info.workerAddress === first.value) this.dead('its tcp connection closed');
        }));
      }
    }
    const period = this.options.keepAliveMs ?? 0;
    if (period > 0) {
      const timeout = this.options.keepAliveTimeoutMs ?? 3 * period;
      let lastTick = Date.now();
      this.timer = setInterval(() => {
        const now = Date.now();
        // This process itself did not run for a while (frozen, suspended, a long pause): the
        // peer's answers may be waiting unread, so ask once more before blaming the peer.
        const stalled = now - lastTick > 2 * period;
        lastTick = now;
        const silent = now - this.channel.lastReceivedAt;
        if (silent > timeout && !stalled) this.channel.abandon('keep-alive timeout').catch(() => undefined);
        else if (2 * silent >= period) this.channel.ping();
      }, period);
      this.timer.unref();
    }
  }

  /** Stops watching (the channel closed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
  }

  private dead(reason: string): void {
    this.channel.teardown(reason).catch(() => undefined);
  }
}
