import { createHmac, hash as sha256Once } from 'node:crypto';

/** Noise `HASHLEN` for SHA-256. */
export const HASHLEN = 32;

/**
 * Noise `HASH(data)`: SHA-256 of the concatenation of `parts`. One-shot (`crypto.hash`):
 * about half the cost of a Hash object for the short inputs of a handshake.
 */
export function hash(...parts: Uint8Array[]): Buffer {
  return sha256Once('sha256', parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'buffer');
}

/** Noise `HMAC-HASH(key, data)` (RFC 2104 over SHA-256). */
export function hmacHash(key: Uint8Array, ...data: Uint8Array[]): Buffer {
  const m = createHmac('sha256', key);
  for (const d of data) m.update(d);
  return m.digest();
}

const BYTE_1 = Uint8Array.of(0x01);
const BYTE_2 = Uint8Array.of(0x02);
const BYTE_3 = Uint8Array.of(0x03);

/**
 * Noise `HKDF(chaining_key, input_key_material, num_outputs)` (spec section 4.3):
 *   temp_key = HMAC-HASH(chaining_key, input_key_material)
 *   output1  = HMAC-HASH(temp_key, byte(0x01))
 *   output2  = HMAC-HASH(temp_key, output1 || byte(0x02))
 *   output3  = HMAC-HASH(temp_key, output2 || byte(0x03))
 * temp_key is zeroed before returning; the caller owns (and zeroes) the outputs.
 */
export function hkdf(chainingKey: Uint8Array, inputKeyMaterial: Uint8Array, numOutputs: 2 | 3): Buffer[] {
  const tempKey = hmacHash(chainingKey, inputKeyMaterial);
  try {
    const output1 = hmacHash(tempKey, BYTE_1);
    const output2 = hmacHash(tempKey, output1, BYTE_2);
    if (numOutputs === 2) return [output1, output2];
    const output3 = hmacHash(tempKey, output2, BYTE_3);
    return [output1, output2, output3];
  } finally {
    tempKey.fill(0);
  }
}
