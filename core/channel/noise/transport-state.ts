import type { HandshakeResult } from './handshake-state.js';
import { FrameDecryptor, type OpenedPassThrough } from './frame-decryptor.js';
import { FrameEncryptor } from './frame-encryptor.js';
import { resolveTransportOptions, type TransportOptions } from './transport-options.js';

/**
 * The secure channel's transport after the handshake: explicit-nonce frames out
 * (`encrypt`) and in (`decrypt`), with a replay window and a key rotation every
 * `rekeyInterval` frames in each direction. Takes the keys out of the handshake's
 * Split() CipherStates, which are left empty.
 */
export class TransportState {
  /** `h` at the end of the handshake (channel binding). */
  readonly handshakeHash: Uint8Array;
  /** The peer's authenticated static public key. */
  readonly remoteStaticKey: Uint8Array;
  private readonly encryptor: FrameEncryptor;
  private readonly decryptor: FrameDecryptor;
  private closed = false;

  constructor(result: HandshakeResult, options?: TransportOptions) {
    const { rekeyInterval, replayWindow } = resolveTransportOptions(options);
    this.handshakeHash = result.handshakeHash;
    this.remoteStaticKey = result.remoteStaticKey;
    const cipher = result.send.cipher;
    this.encryptor = new FrameEncryptor(cipher, result.send.detachKey(), rekeyInterval);
    this.decryptor = new FrameDecryptor(cipher, result.receive.detachKey(), rekeyInterval, replayWindow);
  }

  /**
   * Encrypts `plaintext || tail` (tail optional) into one frame: 8-byte nonce ||
   * ciphertext || 16-byte tag; `headroom` spare bytes are allocated in front of it.
   */
  encrypt(plaintext: Uint8Array, tail?: Uint8Array, headroom = 0): Buffer {
    return this.encryptor.encrypt(plaintext, tail, headroom);
  }

  /**
   * Decrypts one frame. Throws NoiseDecryptError (forged, truncated, key epoch out of
   * range) or NoiseReplayError (duplicate or too old); a failed frame changes nothing.
   */
  decrypt(frame: Uint8Array): Buffer {
    return this.decryptor.decrypt(frame);
  }

  /**
   * Builds a pass-through frame: `header` sealed, bound to `inner` (a nested channel's
   * transport frame), which follows unencrypted (docs/protocols.md, "Pass-through frames").
   */
  encryptPassThrough(header: Uint8Array, inner: Uint8Array, innerHeadroom = 0): Buffer {
    return this.encryptor.encryptPassThrough(header, inner, innerHeadroom);
  }

  /** Opens a pass-through frame: its header decrypted and its inner frame as a view; throws like `decrypt`. */
  decryptPassThrough(frame: Uint8Array): OpenedPassThrough {
    return this.decryptor.decryptPassThrough(frame);
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Drops every key in both directions; later calls throw. Idempotent. */
  close(): void {
    this.closed = true;
    this.encryptor.close();
    this.decryptor.close();
  }
}
