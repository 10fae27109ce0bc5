/** An opaque reference to an X25519 private key held by a secure-channel vault. */
export interface X25519Handle {
  readonly vault: string;
  readonly id: string;
}

/**
 * Software X25519 keys for Noise handshakes. Purpose keys live in the node's own vault
 * (memory or file), so deriving is synchronous and costs no remote call per handshake.
 */
export interface SecureChannelVault {
  readonly name: string;
  generateX25519Key(): Promise<X25519Handle>;
  /** 32-byte public key of a handle. */
  x25519PublicKey(handle: X25519Handle): Uint8Array;
  /** X25519(private(handle), peerPublic); throws on an all-zero result. */
  x25519Derive(handle: X25519Handle, peerPublic: Uint8Array): Uint8Array;
  deleteX25519Key(handle: X25519Handle): Promise<void>;
  listX25519Keys(): Promise<X25519Handle[]>;
}
