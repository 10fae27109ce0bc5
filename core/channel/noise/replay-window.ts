import { InvalidInputError } from '../../errors.js';

/** Default width of the replay window, in nonces. */
export const DEFAULT_REPLAY_WINDOW = 2048;

const WORD_BITS = 32;

/**
 * Sliding anti-replay window over 64-bit message counters (kept below 2^53).
 *
 * Contract: `check(n)` says, without changing anything, whether `n` may be accepted:
 * true if `n` is above every nonce marked so far, or within `size` of the highest
 * marked nonce and not marked yet; false for a nonce marked before or `size` or more
 * below the highest one. `mark(n)` records `n` as seen and may only follow a true
 * `check(n)`; callers mark a nonce only after its frame has authenticated, so a forged
 * frame never moves the window. Any order of distinct nonces within the window is
 * accepted; no nonce is ever accepted twice. The bitmap is a ring of 32-bit words with
 * one spare word, so sliding forward clears whole words.
 */
export class ReplayWindow {
  private readonly ring: Uint32Array;
  private last = -1;

  constructor(readonly size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < WORD_BITS || size % WORD_BITS !== 0 || size > 1 << 20) {
      throw new InvalidInputError('channel', `replay window size must be a multiple of ${WORD_BITS} between 32 and 2^20`);
    }
    this.ring = new Uint32Array(size / WORD_BITS + 1);
  }

  /** The highest nonce marked so far (-1 before any). */
  get highest(): number {
    return this.last;
  }

  /** Whether `n` (a non-negative safe integer) would be accepted now. */
  check(n: number): boolean {
    if (n > this.last) return true;
    if (this.last - n >= this.size) return false;
    const block = Math.floor(n / WORD_BITS);
    const bit = 1 << (n - block * WORD_BITS);
    return (this.ring[block % this.ring.length]! & bit) === 0;
  }

  /** Marks `n` as seen, sliding the window forward when `n` is the new highest. */
  mark(n: number): void {
    const block = Math.floor(n / WORD_BITS);
    if (n > this.last) {
      const lastBlock = Math.floor(this.last / WORD_BITS);
      const clear = Math.min(block - lastBlock, this.ring.length);
      for (let i = 1; i <= clear; i++) this.ring[(block - clear + i) % this.ring.length] = 0;
      this.last = n;
    }
    this.ring[block % this.ring.length]! |= 1 << (n - block * WORD_BITS);
  }
}
