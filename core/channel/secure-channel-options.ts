import { InvalidInputError } from '../errors.js';
import type { AttributeStore } from '../credential/attribute-store.js';
import type { PresentedCredential } from '../credential/credential.js';
import type { Identity } from '../identity/identity.js';
import type { AccessControl } from '../node/access-control.js';
import type { Message, PeerInfo } from '../routing/message.js';
import type { SecureChannelVault, X25519Handle } from '../vault/secure-channel-vault.js';
import type { LocalStaticKey } from './noise/x25519.js';
import type { TransportOptions } from './noise/transport-options.js';

/** The local X25519 secure-channel purpose key: where it lives and its attestation. */
export interface SecureChannelKey {
  readonly vault: SecureChannelVault;
  readonly handle: X25519Handle;
  /** The identity's attestation of this key (purpose `secure-channel`). */
  readonly attestation: Uint8Array;
}

/** The key itself, or a function giving the current one (e.g. `PurposeKeys.secureChannelKey`). */
export type SecureChannelKeySource = SecureChannelKey | (() => SecureChannelKey | Promise<SecureChannelKey>);

/** The node's current credential (from its authority), or undefined when it holds none. */
export type CredentialProvider = () => PresentedCredential | undefined;

/** What an authorize hook decides about. */
export interface AuthorizeContext {
  /** `secure-channel-listener` on the responder, `secure-channel` on the initiator. */
  readonly resource: { readonly type: 'secure-channel-listener' | 'secure-channel'; readonly name: string; readonly node: string };
  readonly role: 'initiator' | 'responder';
}

/**
 * Decides whether an authenticated peer may complete the handshake. A throw or rejection
 * counts as a denial. `peer.attributes` are those of its verified credential.
 */
export type Authorize = (peer: PeerInfo, context: AuthorizeContext) => boolean | Promise<boolean>;

/** What channels need from a transport to notice a dead connection (any Transport, or a TransportSet, fits). */
export interface ConnectionEvents {
  onClosed(listener: (info: { readonly workerAddress: string }) => void): () => void;
}

/** Options shared by {@link createSecureChannel} and {@link SecureChannelListener}. */
export interface SecureChannelOptions {
  /** The local identity (its change history goes into the handshake payload). */
  readonly identity: Identity;
  /** The local X25519 purpose key and its attestation. */
  readonly secureChannelKey: SecureChannelKeySource;
  /** The local credential to present; none when absent. */
  readonly credentials?: CredentialProvider;
  /** Authorities whose credentials are accepted, by identifier. Default none. */
  readonly trustedAuthorities?: ReadonlyMap<string, Identity>;
  /** Where verified peer attributes go. Default: the node registry's store. */
  readonly attributeStore?: AttributeStore;
  /**
   * Listener: who may complete a handshake (default: a peer holding a credential from a
   * trusted authority). Initiator: an optional check on the responder (default: any
   * authenticated responder).
   */
  readonly authorize?: Authorize;
  /** Whole handshake deadline in ms; default 10 000. */
  readonly handshakeTimeoutMs?: number;
  /** Connection close events, so a channel over a dead TCP connection closes itself. */
  readonly transport?: ConnectionEvents;
  /** Keep-alive probe period in ms; 0 (default) disables probes. */
  readonly keepAliveMs?: number;
  /** Close the channel when nothing was received for this long; default 3 x keepAliveMs. */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Recognizes a reply from a hop on the route saying the route is dead (e.g. a relay
   * answering "no such relay"), and returns the error to fail with. Consulted only for
   * messages at the channel's decryptor that are neither handshake messages nor authentic
   * frames (so never on the hot path): an initiator's handshake then fails at once with the
   * error, an open channel closes with its message as the reason. The hook must check where
   * the message came from (e.g. `origin.peer` of the outer channel).
   */
  readonly routeError?: (message: Message) => Error | undefined;
  /** Rekey interval and replay window; both peers must agree on the rekey interval. */
  readonly transportOptions?: TransportOptions;
  /** Current time in seconds (identity, attestation and credential checks); default the system clock. */
  readonly clock?: () => number;
  /**
   * Incoming access control of each channel's encryptor address. Default: local messages,
   * plus replies from elsewhere to return addresses the peer used (see docs/protocols.md).
   */
  readonly encryptorIncoming?: AccessControl;
  /**
   * Whether this side offers pass-through frames (default true): when both sides offer
   * them, a frame of a nested channel is carried with only its routing header sealed
   * (docs/protocols.md, "Pass-through frames"). False behaves as a peer of before them:
   * it neither offers nor accepts them.
   */
  readonly passThrough?: boolean;
  readonly signal?: AbortSignal;
}

/** Default handshake deadline. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Resolves a key source into a key. */
export async function resolveSecureChannelKey(source: SecureChannelKeySource): Promise<SecureChannelKey> {
  const key = typeof source === 'function' ? await source() : source;
  if (!key || typeof key.vault?.x25519Derive !== 'function' || !(key.attestation instanceof Uint8Array)) {
    throw new InvalidInputError('channel', 'secureChannelKey needs a vault, a handle and an attestation');
  }
  return key;
}

/** The Noise static key view of a vault-held X25519 key. */
export function localStaticKey(key: SecureChannelKey): LocalStaticKey {
  const { vault, handle } = key;
  return { publicKey: vault.x25519PublicKey(handle), dh: (peerPublic) => vault.x25519Derive(handle, peerPublic) };
}

/** Checks a positive timeout option. */
export function checkTimeout(value: number | undefined, fallback: number, what: string): number {
  const ms = value ?? fallback;
  if (!Number.isFinite(ms) || ms < 0) throw new InvalidInputError('channel', `${what} must be a non-negative number of milliseconds`);
  return ms;
}

/** An authorize hook that allows exactly the given identifiers (an allow list). */
export function allowIdentities(identifiers: Iterable<string>): Authorize {
  const allowed = new Set(identifiers);
  return (peer) => allowed.has(peer.identifier);
}

/** The listener's default: the peer holds a verified credential from a trusted authority. */
export const requireTrustedCredential: Authorize = (peer) => peer.authority !== undefined;
