import type { KeyObject } from 'node:crypto';
import { aeadDecrypt, IVLEN, rekeyKey, TAGLEN, type NoiseCipher } from './cipher-functions.js';
import { MAX_NONCE } from './cipher-state.js';
import { NoiseDecryptError, NoiseReplayError, NoiseStateError } from './noise-errors.js';
import { ReplayWindow } from './replay-window.js';
import { FRAME_NONCE_LENGTH } from './transport-options.js';
import { MIN_INNER_FRAME, PASS_THROUGH_AD_LENGTH, PASS_THROUGH_PREFIX, writePassThroughAd } from './pass-through-frame.js';

/** A pass-through frame opened: its decrypted header and the inner frame (a view into the frame, not a copy). */
export interface OpenedPassThrough {
  readonly header: Buffer;
  readonly inner: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Receiving half of the explicit-nonce transport. Accepts frames in any order within
 * the replay window. Holds the key of the current epoch (that of the highest accepted
 * nonce), the previous epoch's key until the window has moved past that epoch, and the
 * next epoch's key, derived on first need; frames two or more epochs away are refused.
 * A frame that fails (short, replayed, forged) changes no state.
 */
export class FrameDecryptor {
  private previous: KeyObject | null = null;
  private current: KeyObject | null;
  private next: KeyObject | null = null;
  private epoch = 0;
  private readonly window: ReplayWindow;
  private readonly iv = Buffer.alloc(IVLEN);
  private readonly ad = Buffer.alloc(PASS_THROUGH_AD_LENGTH);

  constructor(
    private readonly cipher: NoiseCipher,
    key: KeyObject,
    private readonly rekeyInterval: number,
    windowSize: number,
  ) {
    this.current = key;
    this.window = new ReplayWindow(windowSize);
  }

  /** Decrypts one frame; throws NoiseDecryptError or NoiseReplayError and keeps its state on failure. */
  decrypt(frame: Uint8Array): Buffer {
    if (frame.length < FRAME_NONCE_LENGTH + TAGLEN) throw new NoiseDecryptError('transport frame too short');
    const view = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
    const hi = view.readUInt32BE(0);
    if (hi > 0x1f_ffff) throw new NoiseDecryptError('transport frame nonce out of range');
    return this.open(hi * 0x1_0000_0000 + view.readUInt32BE(4), EMPTY, view.subarray(FRAME_NONCE_LENGTH));
  }

  /**
   * Opens one pass-through frame (see pass-through-frame.ts): authenticates and decrypts its
   * header, with the inner frame's length, nonce and tag as associated data. The inner
   * frame's body is not checked here (its own channel checks it). Throws like `decrypt`.
   */
  decryptPassThrough(frame: Uint8Array): OpenedPassThrough {
    if (frame.length < PASS_THROUGH_PREFIX + TAGLEN + MIN_INNER_FRAME) throw new NoiseDecryptError('pass-through frame too short');
    const view = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
    const hi = view.readUInt32BE(0) & 0x7fff_ffff;
    if (hi > 0x1f_ffff) throw new NoiseDecryptError('transport frame nonce out of range');
    const headerLength = view.readUInt16BE(FRAME_NONCE_LENGTH);
    const sealed = PASS_THROUGH_PREFIX + headerLength + TAGLEN;
    if (frame.length - sealed < MIN_INNER_FRAME) throw new NoiseDecryptError('pass-through frame too short for its header');
    const inner = view.subarray(sealed);
    writePassThroughAd(this.ad, headerLength, inner);
    const header = this.open(hi * 0x1_0000_0000 + view.readUInt32BE(4), this.ad, view.subarray(PASS_THROUGH_PREFIX, sealed));
    return { header, inner };
  }

  /** Checks `n` against the window, picks its epoch's key, authenticates and decrypts; then marks `n`. */
  private open(n: number, ad: Uint8Array, ciphertext: Buffer): Buffer {
    const current = this.current;
    if (current === null) throw new NoiseStateError('transport is closed');
    if (n > MAX_NONCE) throw new NoiseDecryptError('transport frame nonce out of range');
    if (!this.window.check(n)) throw new NoiseReplayError('transport frame replayed or too old');
    const epoch = Math.floor(n / this.rekeyInterval);
    let key: KeyObject | null;
    if (epoch === this.epoch) key = current;
    else if (epoch === this.epoch - 1) key = this.previous;
    else if (epoch === this.epoch + 1) key = this.next ??= rekeyKey(this.cipher, current);
    else key = null;
    if (key === null) throw new NoiseDecryptError('transport frame key epoch out of range');
    this.cipher.writeNonce(this.iv, n);
    const plaintext = aeadDecrypt(this.cipher, key, this.iv, ad, ciphertext);
    this.window.mark(n);
    if (epoch === this.epoch + 1) {
      this.previous = current;
      this.current = key;
      this.next = null;
      this.epoch = epoch;
    }
    // Forget the previous epoch's key once the window's lowest acceptable nonce is past it.
    if (this.previous !== null && this.window.highest - this.window.size + 1 >= this.epoch * this.rekeyInterval) {
      this.previous = null;
    }
    return plaintext;
  }

  /** Drops every key; later `decrypt` calls throw. */
  close(): void {
    this.previous = null;
    this.current = null;
    this.next = null;
  }
}
