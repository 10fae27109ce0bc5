import { AttributeStore } from '../credential/attribute-store.js';
import type { Node } from '../node/node.js';
import type { Route } from '../routing/message.js';
import type { SecureChannel } from './secure-channel.js';

/** What `secure-channel list` shows about one channel. */
export interface SecureChannelInfo {
  /** Encryptor address (send to `[address, ...]`, or `/secure/<address>/...`). */
  readonly address: string;
  readonly decryptorAddress: string;
  /** The peer's identifier. */
  readonly peer: string;
  /** Route to the peer's decryptor. */
  readonly route: Route;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly role: 'initiator' | 'responder';
}

const registries = new WeakMap<Node, SecureChannelRegistry>();

/**
 * The open secure channels of one node (both roles), for `secure-channel list/delete`,
 * credential pushes and close notifications. Also holds the node's default
 * AttributeStore. Get it with `SecureChannelRegistry.of(node)`.
 */
export class SecureChannelRegistry {
  /** Verified peer attributes used when a channel's options name no store. */
  readonly attributeStore = new AttributeStore();
  private readonly channels = new Map<string, SecureChannel>();
  private readonly closedListeners = new Set<(info: SecureChannelInfo, reason: string) => void>();

  private constructor() {}

  /** The registry of `node` (created on first use). */
  static of(node: Node): SecureChannelRegistry {
    let registry = registries.get(node);
    if (!registry) {
      registry = new SecureChannelRegistry();
      registries.set(node, registry);
    }
    return registry;
  }

  /** Every open channel, oldest first. */
  list(): SecureChannelInfo[] {
    return [...this.channels.values()].map(info);
  }

  /** The channel whose encryptor or decryptor address is `address`. */
  get(address: string): SecureChannel | undefined {
    const direct = this.channels.get(address);
    if (direct) return direct;
    for (const channel of this.channels.values()) if (channel.decryptorAddress === address) return channel;
    return undefined;
  }

  /** Closes the channel at `address` (encryptor or decryptor); false when there is none. */
  async close(address: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const channel = this.get(address);
    if (!channel) return false;
    await channel.close(options);
    return true;
  }

  /** Closes every channel. */
  async closeAll(options: { signal?: AbortSignal } = {}): Promise<void> {
    await Promise.all([...this.channels.values()].map((c) => c.close(options)));
  }

  /** Pushes each channel's current credential to its peer; returns how many were sent. */
  presentCredential(): number {
    let sent = 0;
    for (const channel of this.channels.values()) if (channel.presentCredential()) sent++;
    return sent;
  }

  /** Calls `listener` whenever a registered channel closes. Returns an unsubscribe function. */
  onClosed(listener: (info: SecureChannelInfo, reason: string) => void): () => void {
    this.closedListeners.add(listener);
    return () => this.closedListeners.delete(listener);
  }

  /** Number of open channels. */
  get size(): number {
    return this.channels.size;
  }

  /** @internal a channel opened. */
  add(channel: SecureChannel): void {
    this.channels.set(channel.address, channel);
  }

  /** @internal a channel closed. */
  remove(channel: SecureChannel): void {
    if (this.channels.get(channel.address) !== channel) return;
    this.channels.delete(channel.address);
    const snapshot = info(channel);
    const reason = channel.closedReason ?? 'closed';
    for (const listener of [...this.closedListeners]) {
      try {
        listener(snapshot, reason);
      } catch {
        // A listener's failure must not stop the others.
      }
    }
  }
}

function info(channel: SecureChannel): SecureChannelInfo {
  return {
    address: channel.address, decryptorAddress: channel.decryptorAddress, peer: channel.peerIdentity.identifier,
    route: channel.route, createdAt: channel.createdAt, role: channel.role,
  };
}
