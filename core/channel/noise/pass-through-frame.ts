import { TAGLEN } from './cipher-functions.js';
import { FRAME_NONCE_LENGTH } from './transport-options.js';

/**
 * Layout of a pass-through transport frame (docs/protocols.md, "Pass-through frames"):
 *
 * ```
 * ptframe = n' (u64be) || hlen (u16be) || AEAD(k_epoch, iv(n), ad, header) || tag (16) || inner
 * n'      = n + 2^63                        (bit 63 marks a pass-through frame)
 * ad      = hlen (u16be) || ilen (u32be) || inner[0..8) || inner[ilen-16..ilen)
 * ```
 *
 * `inner` is a transport frame of a nested channel (at least 24 bytes), carried as is:
 * only the header is encrypted, and the inner frame's length, nonce and tag are bound to
 * it as associated data. Nonces are shared with ordinary frames of the same direction.
 */

/** Bit 7 of the first nonce byte: set on pass-through frames, clear on ordinary ones. */
export const PASS_THROUGH_MARK = 0x80;
/** Bytes before the sealed header: the marked nonce and the header length. */
export const PASS_THROUGH_PREFIX = FRAME_NONCE_LENGTH + 2;
/** Bytes of the associated data. */
export const PASS_THROUGH_AD_LENGTH = 2 + 4 + FRAME_NONCE_LENGTH + TAGLEN;
/** The smallest inner frame: a nonce and a tag. */
export const MIN_INNER_FRAME = FRAME_NONCE_LENGTH + TAGLEN;
/** The largest sealed header (the length field is 16 bits). */
export const MAX_PASS_THROUGH_HEADER = 0xffff;

/** True when `frame` (a routed payload to a decryptor) is marked as a pass-through frame. */
export function isPassThroughFrame(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & PASS_THROUGH_MARK) !== 0;
}

/** Writes the associated data binding a header of `headerLength` bytes to `inner` into `ad`. */
export function writePassThroughAd(ad: Buffer, headerLength: number, inner: Uint8Array): void {
  const ilen = inner.length;
  ad.writeUInt16BE(headerLength, 0);
  ad.writeUInt32BE(ilen, 2);
  ad.set(inner.subarray(0, FRAME_NONCE_LENGTH), 6);
  ad.set(inner.subarray(ilen - TAGLEN, ilen), 6 + FRAME_NONCE_LENGTH);
}
