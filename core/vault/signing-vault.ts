import type { KeyHandle, PublicKey, Signature, SigningKeyType } from './keys.js';

/** Options every vault I/O method accepts last. */
export interface VaultCallOptions {
  readonly signal?: AbortSignal;
}

/**
 * A vault that holds signing keys and signs SHA-256 digests with them. Implemented by
 * the memory, file, AWS KMS, Azure Key Vault and PKCS#11 vaults. Private keys never
 * leave the vault; callers see only handles.
 */
export interface SigningVault {
  /** The vault's name, as in `KeyHandle.vault`. */
  readonly name: string;
  /** Which key types this vault can generate and sign with. */
  readonly supportedKeyTypes: readonly SigningKeyType[];
  /** Creates a new key inside the vault. `label` is a hint for vaults that name keys. */
  generateSigningKey(type: SigningKeyType, options?: VaultCallOptions & { label?: string }): Promise<KeyHandle>;
  /** The public key of a handle. */
  signingPublicKey(handle: KeyHandle, options?: VaultCallOptions): Promise<PublicKey>;
  /** Signs a 32-byte SHA-256 digest. */
  signDigest(handle: KeyHandle, digest: Uint8Array, options?: VaultCallOptions): Promise<Signature>;
  /** Deletes (or schedules deletion of) a key. */
  deleteSigningKey(handle: KeyHandle, options?: VaultCallOptions): Promise<void>;
  /** The handles of keys this vault manages. */
  listSigningKeys(options?: VaultCallOptions): Promise<KeyHandle[]>;
  /** Releases sessions and connections. */
  close?(): Promise<void>;
}
