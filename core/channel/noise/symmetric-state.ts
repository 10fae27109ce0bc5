import { CipherState } from './cipher-state.js';
import type { NoiseCipher } from './cipher-functions.js';
import { hash, hkdf, HASHLEN } from './hash-functions.js';

const EMPTY = new Uint8Array(0);

/**
 * Noise `SymmetricState` (spec section 5.2): the chaining key `ck`, the handshake hash
 * `h` and a CipherState. `ck` and every temporary key are zeroed as soon as they are
 * no longer needed; `destroy()` zeroes what is left.
 */
export class SymmetricState {
  private readonly ck: Buffer;
  private h: Buffer;
  private readonly cipherState: CipherState;

  /** `InitializeSymmetric(protocol_name)`. */
  constructor(protocolName: string, private readonly cipher: NoiseCipher) {
    const name = Buffer.from(protocolName, 'ascii');
    // If protocol_name is <= HASHLEN bytes, h = protocol_name padded with zeros; else h = HASH(protocol_name).
    this.h = name.length <= HASHLEN ? Buffer.concat([name, Buffer.alloc(HASHLEN - name.length)]) : hash(name);
    this.ck = Buffer.from(this.h);
    this.cipherState = new CipherState(cipher);
    this.cipherState.initializeKey(null);
  }

  /** `MixKey(input_key_material)`: ck, temp_k = HKDF(ck, ikm, 2); InitializeKey(temp_k). */
  mixKey(inputKeyMaterial: Uint8Array): void {
    const [ck, tempK] = hkdf(this.ck, inputKeyMaterial, 2) as [Buffer, Buffer];
    ck.copy(this.ck);
    ck.fill(0);
    this.cipherState.initializeKey(tempK);
    tempK.fill(0);
  }

  /** `MixHash(data)`: h = HASH(h || data). */
  mixHash(data: Uint8Array): void {
    this.h = hash(this.h, data);
  }

  /** `GetHandshakeHash()`: a copy of `h`. */
  getHandshakeHash(): Uint8Array {
    return new Uint8Array(this.h);
  }

  /** `HasKey()` of the inner CipherState. */
  hasKey(): boolean {
    return this.cipherState.hasKey();
  }

  /** `EncryptAndHash(plaintext)`: ciphertext = EncryptWithAd(h, plaintext); MixHash(ciphertext). */
  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.cipherState.encryptWithAd(this.h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  /** `DecryptAndHash(ciphertext)`: plaintext = DecryptWithAd(h, ciphertext); MixHash(ciphertext). */
  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.cipherState.decryptWithAd(this.h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /**
   * `Split()`: temp_k1, temp_k2 = HKDF(ck, zerolen, 2); returns two CipherStates keyed
   * with them (c1 for initiator-to-responder, c2 for responder-to-initiator).
   * Zeroes `ck` and the handshake CipherState: no handshake secret survives.
   */
  split(): [CipherState, CipherState] {
    const [tempK1, tempK2] = hkdf(this.ck, EMPTY, 2) as [Buffer, Buffer];
    const c1 = new CipherState(this.cipher);
    const c2 = new CipherState(this.cipher);
    c1.initializeKey(tempK1);
    c2.initializeKey(tempK2);
    tempK1.fill(0);
    tempK2.fill(0);
    this.destroy();
    return [c1, c2];
  }

  /** Zeroes `ck` and forgets the handshake key. `h` is kept: it is public (channel binding). */
  destroy(): void {
    this.ck.fill(0);
    this.cipherState.clear();
  }
}
