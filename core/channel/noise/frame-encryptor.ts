import type { KeyObject } from 'node:crypto';
import { aeadEncryptInto, IVLEN, rekeyKey, TAGLEN, type NoiseCipher } from './cipher-functions.js';
import { MAX_NONCE } from './cipher-state.js';
import { InvalidInputError } from '../../errors.js';
import { NoiseStateError } from './noise-errors.js';
import {
  MAX_PASS_THROUGH_HEADER, MIN_INNER_FRAME, PASS_THROUGH_AD_LENGTH, PASS_THROUGH_MARK, PASS_THROUGH_PREFIX, writePassThroughAd,
} from './pass-through-frame.js';
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
  private readonly ad = Buffer.alloc(PASS_THROUGH_AD_LENGTH);

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
   * With `headroom`, the frame is allocated with that many spare bytes in front of it (a
   * channel it is passed through writes its header there instead of copying the frame).
   */
  encrypt(plaintext: Uint8Array, tail?: Uint8Array, headroom = 0): Buffer {
    const n = this.n;
    const key = this.keyFor(n);
    const length = FRAME_NONCE_LENGTH + plaintext.length + (tail?.length ?? 0) + TAGLEN;
    const frame = headroom === 0 ? Buffer.allocUnsafe(length) : Buffer.allocUnsafe(headroom + length).subarray(headroom);
    frame.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 0);
    frame.writeUInt32BE(n >>> 0, 4);
    this.cipher.writeNonce(this.iv, n);
    aeadEncryptInto(this.cipher, key, this.iv, EMPTY, plaintext, frame, FRAME_NONCE_LENGTH, tail);
    this.n = n + 1;
    return frame;
  }

  /**
   * Builds one pass-through frame (see pass-through-frame.ts): `header` is encrypted under
   * the next nonce with the length, nonce and tag of `inner` (a nested channel's transport
   * frame) as associated data; `inner` follows unencrypted. Throws InvalidInputError for a
   * header over 65535 bytes or an inner frame shorter than 24 bytes.
   *
   * `innerHeadroom` is how many bytes in front of `inner` in its ArrayBuffer belong to
   * nobody else and may be overwritten: when the sealed part fits there, the frame is
   * written around `inner` in place (no copy of it); else it is copied behind the header.
   */
  encryptPassThrough(header: Uint8Array, inner: Uint8Array, innerHeadroom = 0): Buffer {
    if (header.length > MAX_PASS_THROUGH_HEADER) throw new InvalidInputError('channel', `pass-through header of ${header.length} bytes is over ${MAX_PASS_THROUGH_HEADER}`);
    if (inner.length < MIN_INNER_FRAME) throw new InvalidInputError('channel', `inner frame of ${inner.length} bytes is shorter than ${MIN_INNER_FRAME}`);
    const n = this.n;
    const key = this.keyFor(n);
    const sealed = PASS_THROUGH_PREFIX + header.length + TAGLEN;
    const inPlace = sealed <= innerHeadroom && inner.byteOffset >= sealed;
    const frame = inPlace ? Buffer.from(inner.buffer, inner.byteOffset - sealed, sealed + inner.length) : Buffer.allocUnsafe(sealed + inner.length);
    frame.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 0);
    frame.writeUInt32BE(n >>> 0, 4);
    frame[0]! |= PASS_THROUGH_MARK;
    frame.writeUInt16BE(header.length, FRAME_NONCE_LENGTH);
    writePassThroughAd(this.ad, header.length, inner);
    this.cipher.writeNonce(this.iv, n);
    aeadEncryptInto(this.cipher, key, this.iv, this.ad, header, frame, PASS_THROUGH_PREFIX);
    if (!inPlace) frame.set(inner, sealed);
    this.n = n + 1;
    return frame;
  }

  /** The key of nonce `n` (the next one), rotated when `n` enters a new epoch. */
  private keyFor(n: number): KeyObject {
    let key = this.key;
    if (key === null) throw new NoiseStateError('transport is closed');
    if (n > MAX_NONCE) throw new NoiseStateError('nonce space exhausted');
    if (n !== 0 && n % this.rekeyInterval === 0) {
      key = rekeyKey(this.cipher, key);
      this.key = key;
    }
    return key;
  }

  /** Drops the key; later `encrypt` calls throw. */
  close(): void {
    this.key = null;
  }
}
