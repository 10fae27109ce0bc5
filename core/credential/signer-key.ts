import { sha256 } from '../cbor.js';
import type { PublicKey } from '../vault/keys.js';

/** Length, in hex characters after the `K`, of a signer key id (128 bits of SHA-256). */
const SIGNER_KEY_ID_HEX = 32;
const TYPE_TAG: Readonly<Record<PublicKey['type'], number>> = { ed25519: 1, p256: 2 };

/**
 * The id of a credential-signing key: `K` + the first 128 bits (hex) of SHA-256 over a
 * key-type byte (1 ed25519, 2 p256) and the public key bytes. Names an attested signer in
 * the authority's signer list, in audit records and in revocation lists ("withdrawn
 * signers"); derived from the public key alone, so any node computes it from a credential's
 * attestation.
 */
export function signerKeyId(key: PublicKey): string {
  const input = new Uint8Array(key.bytes.length + 1);
  input[0] = TYPE_TAG[key.type];
  input.set(key.bytes, 1);
  return `K${Buffer.from(sha256(input)).toString('hex').slice(0, SIGNER_KEY_ID_HEX)}`;
}

/** True when `value` has the shape of a {@link signerKeyId}. */
export function isSignerKeyId(value: unknown): value is string {
  return typeof value === 'string' && /^K[0-9a-f]{32}$/.test(value);
}
