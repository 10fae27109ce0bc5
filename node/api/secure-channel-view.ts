import type { SecureChannelListenerStats } from '../../core/channel/secure-channel-listener.js';

/** What `secure-channel.create` and `secure-channel.list` report about a channel. */
export interface SecureChannelView {
  /** Encryptor address: route through the channel with `/secure/<address>/...`. */
  readonly address: string;
  readonly peer: string;
  readonly role: 'initiator' | 'responder';
  /** Route to the peer's decryptor. */
  readonly route: string;
  readonly createdAt: string;
  /** The peer's verified attributes (empty without a trusted credential). */
  readonly attributes: Readonly<Record<string, string>>;
  /** What the node keeps the channel for (`project NAME`, `relay NAME of project P`, `route R`); absent for others. */
  readonly purpose?: string;
  /**
   * Pass-through frames (docs/protocols.md): whether this side sends frames of nested
   * channels with only their routing header sealed (both sides offered it), and how many
   * such frames the channel received and sent.
   */
  readonly passThrough: { readonly enabled: boolean; readonly framesIn: number; readonly framesOut: number };
}

/** What `secure-channel.list` returns: the node's listener and its open channels. */
export interface SecureChannelList {
  readonly listener: SecureChannelListenerStats & { readonly address: string; readonly acceptUnauthenticated: boolean };
  readonly channels: readonly SecureChannelView[];
}
