import { InvalidInputError } from '../../core/errors.js';
import type { SigningKeyType } from '../../core/vault/keys.js';

/** CKA_EC_PARAMS per key type: the DER OID of the curve (prime256v1, id-Ed25519). */
export const EC_PARAMS: Readonly<Record<SigningKeyType, Buffer>> = {
  p256: Buffer.from('06082a8648ce3d030107', 'hex'),
  ed25519: Buffer.from('06032b6570', 'hex'),
};

/**
 * The raw public key from a CKA_EC_POINT value. PKCS#11 wraps the point in a DER OCTET
 * STRING (P-256: 04 41 04||x||y, Ed25519: 04 20 <32 bytes>); some modules return it bare.
 */
export function publicKeyFromEcPoint(point: Uint8Array, type: SigningKeyType): Uint8Array {
  const want = type === 'p256' ? 65 : 32;
  let bytes = point;
  if (bytes.length === want + 2 && bytes[0] === 0x04 && bytes[1] === want) bytes = bytes.subarray(2);
  else if (bytes.length === want + 3 && bytes[0] === 0x04 && bytes[1] === 0x81 && bytes[2] === want) bytes = bytes.subarray(3);
  if (bytes.length !== want || (type === 'p256' && bytes[0] !== 0x04)) {
    throw new InvalidInputError('vault', `token returned a malformed ${type} CKA_EC_POINT of ${point.length} bytes`);
  }
  return new Uint8Array(bytes);
}
