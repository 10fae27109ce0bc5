import { AESGCM, CHACHAPOLY, type NoiseCipher } from './cipher-functions.js';

/** The protocol of the secure channel (design section 5). */
export const NOISE_XX_AESGCM = 'Noise_XX_25519_AESGCM_SHA256';
/** Also implemented, for the published test vectors. */
export const NOISE_XX_CHACHAPOLY = 'Noise_XX_25519_ChaChaPoly_SHA256';

/** Every protocol name this implementation runs. */
export const SUPPORTED_PROTOCOLS: readonly string[] = [NOISE_XX_AESGCM, NOISE_XX_CHACHAPOLY];

/**
 * The cipher function named by a supported protocol name, or undefined for any other
 * pattern, DH, cipher or hash (those are not implemented).
 */
export function cipherOfProtocol(protocolName: string): NoiseCipher | undefined {
  if (protocolName === NOISE_XX_AESGCM) return AESGCM;
  if (protocolName === NOISE_XX_CHACHAPOLY) return CHACHAPOLY;
  return undefined;
}

/**
 * The prologue of the secure channel: the ASCII string `symbolon/secure-channel/1`.
 * Both sides mix it into `h` before the first message, so peers speaking another
 * version of the channel protocol fail the handshake at message 2.
 */
export const SECURE_CHANNEL_PROLOGUE: Uint8Array = new TextEncoder().encode('symbolon/secure-channel/1');
