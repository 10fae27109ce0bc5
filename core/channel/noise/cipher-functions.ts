import { createCipheriv, createDecipheriv, createSecretKey, type CipherGCMTypes, type KeyObject } from 'node:crypto';
import { NoiseDecryptError } from './noise-errors.js';

/** AEAD tag length of both Noise ciphers. */
export const TAGLEN = 16;
/** Key length of both Noise ciphers. */
export const KEYLEN = 32;
/** Length of the AEAD nonce both ciphers take: 4 zero bytes and an 8-byte counter. */
export const IVLEN = 12;

type Algorithm = CipherGCMTypes | 'chacha20-poly1305';

/** A Noise cipher function (spec section 12.3 / 12.4): an AEAD and its nonce layout. */
export interface NoiseCipher {
  /** Name used in the protocol name: `AESGCM` or `ChaChaPoly`. */
  readonly name: 'AESGCM' | 'ChaChaPoly';
  /** node:crypto algorithm name. */
  readonly algorithm: Algorithm;
  /** Writes counter `n` (0 <= n < 2^53) into the 12-byte AEAD nonce `iv`. */
  writeNonce(iv: Buffer, n: number): void;
}

/** AES-256-GCM; nonce = 4 zero bytes || 8-byte big-endian counter. */
export const AESGCM: NoiseCipher = {
  name: 'AESGCM',
  algorithm: 'aes-256-gcm',
  writeNonce(iv: Buffer, n: number): void {
    iv.writeUInt32BE(0, 0);
    iv.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 4);
    iv.writeUInt32BE(n >>> 0, 8);
  },
};

/** ChaCha20-Poly1305; nonce = 4 zero bytes || 8-byte little-endian counter. */
export const CHACHAPOLY: NoiseCipher = {
  name: 'ChaChaPoly',
  algorithm: 'chacha20-poly1305',
  writeNonce(iv: Buffer, n: number): void {
    iv.writeUInt32LE(0, 0);
    iv.writeUInt32LE(n >>> 0, 4);
    iv.writeUInt32LE(Math.floor(n / 0x1_0000_0000), 8);
  },
};

/** Imports a 32-byte key as a KeyObject; the caller zeroes its own copy. */
export function importCipherKey(key: Uint8Array): KeyObject {
  return createSecretKey(key);
}

/** AEAD encryption: returns ciphertext || 16-byte tag. */
export function aeadEncrypt(
  cipher: NoiseCipher, key: KeyObject, iv: Uint8Array, ad: Uint8Array, plaintext: Uint8Array,
): Buffer {
  const out = Buffer.allocUnsafe(plaintext.length + TAGLEN);
  aeadEncryptInto(cipher, key, iv, ad, plaintext, out, 0);
  return out;
}

/**
 * AEAD encryption written into `out` at `offset`: ciphertext then tag
 * (`plaintext.length + tail.length + 16` bytes). The plaintext is `plaintext || tail`
 * (tail optional), so a header and a body are encrypted without being joined first.
 * Used by the frame hot path to avoid copies.
 */
export function aeadEncryptInto(
  cipher: NoiseCipher, key: KeyObject, iv: Uint8Array, ad: Uint8Array, plaintext: Uint8Array,
  out: Buffer, offset: number, tail?: Uint8Array,
): void {
  const c = createCipheriv(cipher.algorithm as CipherGCMTypes, key, iv, { authTagLength: TAGLEN });
  if (ad.length > 0) c.setAAD(ad);
  let at = offset;
  if (plaintext.length > 0) at += c.update(plaintext).copy(out, at);
  if (tail !== undefined && tail.length > 0) at += c.update(tail).copy(out, at);
  at += c.final().copy(out, at);
  c.getAuthTag().copy(out, at);
}

/** AEAD decryption of ciphertext || tag; throws NoiseDecryptError if authentication fails. */
export function aeadDecrypt(
  cipher: NoiseCipher, key: KeyObject, iv: Uint8Array, ad: Uint8Array, ciphertext: Uint8Array,
): Buffer {
  if (ciphertext.length < TAGLEN) throw new NoiseDecryptError('ciphertext shorter than the authentication tag');
  const end = ciphertext.length - TAGLEN;
  const d = createDecipheriv(cipher.algorithm as CipherGCMTypes, key, iv, { authTagLength: TAGLEN });
  d.setAuthTag(ciphertext.subarray(end));
  if (ad.length > 0) d.setAAD(ad);
  const body = d.update(ciphertext.subarray(0, end));
  try {
    const tail = d.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    body.fill(0);
    throw new NoiseDecryptError('authentication failed');
  }
}

const REKEY_IV = Buffer.from('00000000ffffffffffffffff', 'hex');
const REKEY_ZEROS = new Uint8Array(KEYLEN);
const EMPTY = new Uint8Array(0);

/**
 * Noise `REKEY(k)`: the first 32 bytes of ENCRYPT(k, maxnonce = 2^64-1, zerolen, zeros[32]).
 * 2^64-1 is all ones in both nonce layouts, so one IV serves both ciphers.
 */
export function rekeyKey(cipher: NoiseCipher, key: KeyObject): KeyObject {
  const out = aeadEncrypt(cipher, key, REKEY_IV, EMPTY, REKEY_ZEROS);
  try {
    return importCipherKey(out.subarray(0, KEYLEN));
  } finally {
    out.fill(0);
  }
}
