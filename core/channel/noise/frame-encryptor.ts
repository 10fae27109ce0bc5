import type { KeyObject } from 'node:crypto';
import { aeadEncryptInto, IVLEN, rekeyKey, TAGLEN, type NoiseCipher } from './cipher-functions.js';
import { MAX_NONCE } from './cipher-state.js';
import { NoiseStateError } from './noise-errors.js';
import { FRAME_NONCE_LENGTH } from './transport-options.js';

const EMPTY = new Uint8Array(0);

/**
 * Sending half of the explicit-nonce transport. Frame = 8-byte big-endian nonce n ||
 * AEAD(k_epoch, n, ad = empty, plaintext) || 16-byte tag, where epoch = floor(n / N)
 * and k_(j+1) = REKEY(k_j). Nonces count up from 0 and are never reused.
 */
export class FrameEncryptor {
  private key: KeyObject | null;
  private n = 0;
  private readonly iv = Buffer.alloc(IVLEN);

  constructor(
    private readonly cipher: NoiseCipher,
    key: KeyObject,
    private readonly rekeyInterval: number,
  ) {
    this.key = key;
  }

  /** Number of frames encrypted so far (the next nonce). */
  get nextNonce(): number {
    return this.n;
  }

  /**
   * Encrypts one frame whose plaintext is `plaintext || tail` (tail optional, so a header
   * and a body need not be joined first); rotates the key when the nonce enters a new epoch.
   */
  encrypt(plaintext: Uint8Array, tail?: Uint8Array): Buffer {
    let key = this.key;
    if (key === null) throw new NoiseStateError('transport is closed');
    const n = this.n;
    if (n > MAX_NONCE) throw new NoiseStateError('nonce space exhausted');
    if (n !== 0 && n % this.rekeyInterval === 0) {
      key = rekeyKey(this.cipher, key);
      this.key = key;
    }
    const frame = Buffer.allocUnsafe(FRAME_NONCE_LENGTH + plaintext.length + (tail?.length ?? 0) + TAGLEN);
    frame.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 0);
    frame.writeUInt32BE(n >>> 0, 4);
    this.cipher.writeNonce(this.iv, n);
    aeadEncryptInto(this.cipher, key, this.iv, EMPTY, plaintext, frame, FRAME_NONCE_LENGTH, tail);
    this.n = n + 1;
    return frame;
  }

  /** Drops the key; later `encrypt` calls throw. */
  close(): void {
    this.key = null;
  }
}
