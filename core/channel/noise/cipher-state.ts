import type { KeyObject } from 'node:crypto';
import {
  aeadDecrypt, aeadEncrypt, importCipherKey, IVLEN, KEYLEN, rekeyKey, type NoiseCipher,
} from './cipher-functions.js';
import { NoiseStateError } from './noise-errors.js';

/**
 * Largest nonce this implementation uses. The spec reserves 2^64-1 for REKEY; counters
 * here are JavaScript numbers, so they stop at 2^53-1, far beyond any real channel's life.
 */
export const MAX_NONCE = Number.MAX_SAFE_INTEGER - 1;

/**
 * Noise `CipherState` (spec section 5.1): a key `k` (or none) and a counter nonce `n`.
 * Used for the handshake and, after `split()`, for the plain implicit-nonce transport
 * of the Noise spec (test vectors). The channel's explicit-nonce frames take the key out
 * with `detachKey()` (see TransportState).
 *
 * `k` is held only as a node:crypto KeyObject: raw key bytes are zeroed by whoever
 * produced them right after `initializeKey`.
 */
export class CipherState {
  private k: KeyObject | null = null;
  private n = 0;
  private readonly iv = Buffer.alloc(IVLEN);

  constructor(readonly cipher: NoiseCipher) {}

  /** `InitializeKey(key)`: sets `k = key` (copied into a KeyObject) and `n = 0`. */
  initializeKey(key: Uint8Array | null): void {
    if (key !== null && key.length !== KEYLEN) throw new NoiseStateError(`cipher key must be ${KEYLEN} bytes`);
    this.k = key === null ? null : importCipherKey(key);
    this.n = 0;
  }

  /** `HasKey()`. */
  hasKey(): boolean {
    return this.k !== null;
  }

  /** `SetNonce(nonce)`. */
  setNonce(nonce: number): void {
    if (!Number.isSafeInteger(nonce) || nonce < 0 || nonce > MAX_NONCE) throw new NoiseStateError('nonce out of range');
    this.n = nonce;
  }

  /** `EncryptWithAd(ad, plaintext)`: AEAD under (k, n), then n += 1; plaintext as-is without a key. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.k === null) return plaintext;
    this.checkNonce();
    this.cipher.writeNonce(this.iv, this.n);
    const out = aeadEncrypt(this.cipher, this.k, this.iv, ad, plaintext);
    this.n++;
    return out;
  }

  /**
   * `DecryptWithAd(ad, ciphertext)`: AEAD open under (k, n); n += 1 only on success.
   * Throws NoiseDecryptError if authentication fails.
   */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.k === null) return ciphertext;
    this.checkNonce();
    this.cipher.writeNonce(this.iv, this.n);
    const out = aeadDecrypt(this.cipher, this.k, this.iv, ad, ciphertext);
    this.n++;
    return out;
  }

  /** `Rekey()`: `k = REKEY(k)`; n is unchanged. */
  rekey(): void {
    if (this.k === null) throw new NoiseStateError('rekey without a key');
    this.k = rekeyKey(this.cipher, this.k);
  }

  /**
   * Hands the key to a new owner (the explicit-nonce transport) and clears this state.
   * Throws if there is no key.
   */
  detachKey(): KeyObject {
    if (this.k === null) throw new NoiseStateError('cipher state has no key');
    const k = this.k;
    this.clear();
    return k;
  }

  /** Forgets the key and resets the nonce. */
  clear(): void {
    this.k = null;
    this.n = 0;
  }

  private checkNonce(): void {
    if (this.n > MAX_NONCE) throw new NoiseStateError('nonce space exhausted');
  }
}
