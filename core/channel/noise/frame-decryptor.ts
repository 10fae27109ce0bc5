import type { KeyObject } from 'node:crypto';
import { aeadDecrypt, IVLEN, rekeyKey, TAGLEN, type NoiseCipher } from './cipher-functions.js';
import { MAX_NONCE } from './cipher-state.js';
import { NoiseDecryptError, NoiseReplayError, NoiseStateError } from './noise-errors.js';
import { ReplayWindow } from './replay-window.js';
import { FRAME_NONCE_LENGTH } from './transport-options.js';

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
    const current = this.current;
    if (current === null) throw new NoiseStateError('transport is closed');
    if (frame.length < FRAME_NONCE_LENGTH + TAGLEN) throw new NoiseDecryptError('transport frame too short');
    const view = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
    const hi = view.readUInt32BE(0);
    const n = hi * 0x1_0000_0000 + view.readUInt32BE(4);
    if (hi > 0x1f_ffff || n > MAX_NONCE) throw new NoiseDecryptError('transport frame nonce out of range');
    if (!this.window.check(n)) throw new NoiseReplayError('transport frame replayed or too old');
    const epoch = Math.floor(n / this.rekeyInterval);
    let key: KeyObject | null;
    if (epoch === this.epoch) key = current;
    else if (epoch === this.epoch - 1) key = this.previous;
    else if (epoch === this.epoch + 1) key = this.next ??= rekeyKey(this.cipher, current);
    else key = null;
    if (key === null) throw new NoiseDecryptError('transport frame key epoch out of range');
    this.cipher.writeNonce(this.iv, n);
    const plaintext = aeadDecrypt(this.cipher, key, this.iv, EMPTY, view.subarray(FRAME_NONCE_LENGTH));
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
