/** Primary-key algorithms an identity may use. */
export type SigningKeyType = 'ed25519' | 'p256';

/**
 * A public signing key. Ed25519: 32 raw bytes. P-256: 65-byte SEC1 uncompressed point.
 */
export interface PublicKey {
  readonly type: SigningKeyType;
  readonly bytes: Uint8Array;
}

/**
 * An opaque reference to a private key held by a vault. It names the key; it never
 * carries key material. `vault` is the name of the vault that holds it.
 */
export interface KeyHandle {
  readonly vault: string;
  readonly id: string;
  readonly type: SigningKeyType;
}

/**
 * A signature over a 32-byte SHA-256 digest. Ed25519: 64 bytes (pure Ed25519 over the
 * digest as message). P-256: 64 bytes r||s (ECDSA over the digest, low-S not required).
 */
export interface Signature {
  readonly type: SigningKeyType;
  readonly bytes: Uint8Array;
}
