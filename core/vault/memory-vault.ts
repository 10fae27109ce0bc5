import { InvalidInputError, NotFoundError, assertBytes } from '../errors.js';
import { checkHandle, newKeyId, throwIfAborted } from './key-id.js';
import type { KeyHandle, PublicKey, Signature, SigningKeyType } from './keys.js';
import type { SecureChannelVault, X25519Handle } from './secure-channel-vault.js';
import type { SigningVault, VaultCallOptions } from './signing-vault.js';
import { SOFTWARE_SIGNING_KEY_TYPES, SoftwareSigningKey, assertSoftwareSigningKeyType } from './software-signing-key.js';
import { SoftwareX25519Key } from './software-x25519-key.js';

/** Options of {@link MemoryVault}. */
export interface MemoryVaultOptions {
  /** The vault name in handles; default `memory`. */
  readonly name?: string;
}

/**
 * A vault that keeps Ed25519, P-256 and X25519 keys in process memory. Keys vanish with
 * the process: meant for tests, ephemeral nodes and purpose keys that need no restart.
 */
export class MemoryVault implements SigningVault, SecureChannelVault {
  /** The vault name in handles. */
  readonly name: string;
  /** Ed25519 and P-256. */
  readonly supportedKeyTypes: readonly SigningKeyType[] = SOFTWARE_SIGNING_KEY_TYPES;
  private readonly signingKeys = new Map<string, SoftwareSigningKey>();
  private readonly x25519Keys = new Map<string, SoftwareX25519Key>();

  constructor(options: MemoryVaultOptions = {}) {
    this.name = options.name ?? 'memory';
    if (this.name.length === 0) throw new InvalidInputError('vault', 'vault name must not be empty');
  }

  /** Creates a new signing key; `label` is ignored. */
  async generateSigningKey(type: SigningKeyType, options: VaultCallOptions & { label?: string } = {}): Promise<KeyHandle> {
    throwIfAborted(options.signal);
    assertSoftwareSigningKeyType(type);
    const id = newKeyId();
    this.signingKeys.set(id, SoftwareSigningKey.generate(type));
    return { vault: this.name, id, type };
  }

  /** The public key of a handle. */
  async signingPublicKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<PublicKey> {
    throwIfAborted(options.signal);
    return this.signingKey(handle).publicKey;
  }

  /** Signs a 32-byte digest. */
  async signDigest(handle: KeyHandle, digest: Uint8Array, options: VaultCallOptions = {}): Promise<Signature> {
    throwIfAborted(options.signal);
    assertBytes(digest, 32, 'digest', 'vault');
    return this.signingKey(handle).signDigest(digest);
  }

  /** Forgets a signing key. */
  async deleteSigningKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    this.signingKey(handle);
    this.signingKeys.delete(handle.id);
  }

  /** Handles of every signing key. */
  async listSigningKeys(options: VaultCallOptions = {}): Promise<KeyHandle[]> {
    throwIfAborted(options.signal);
    return [...this.signingKeys].map(([id, key]) => ({ vault: this.name, id, type: key.type }));
  }

  /** Creates a new X25519 key. */
  async generateX25519Key(): Promise<X25519Handle> {
    const id = newKeyId();
    this.x25519Keys.set(id, SoftwareX25519Key.generate());
    return { vault: this.name, id };
  }

  /** 32-byte public key of a handle. */
  x25519PublicKey(handle: X25519Handle): Uint8Array {
    return this.x25519Key(handle).publicKey;
  }

  /** X25519(private(handle), peerPublic); throws on an all-zero result. */
  x25519Derive(handle: X25519Handle, peerPublic: Uint8Array): Uint8Array {
    return this.x25519Key(handle).derive(peerPublic);
  }

  /** Forgets an X25519 key. */
  async deleteX25519Key(handle: X25519Handle): Promise<void> {
    this.x25519Key(handle);
    this.x25519Keys.delete(handle.id);
  }

  /** Handles of every X25519 key. */
  async listX25519Keys(): Promise<X25519Handle[]> {
    return [...this.x25519Keys.keys()].map((id) => ({ vault: this.name, id }));
  }

  private signingKey(handle: KeyHandle): SoftwareSigningKey {
    checkHandle(handle, this.name);
    const key = this.signingKeys.get(handle.id);
    if (!key) throw new NotFoundError('vault', `signing key ${handle.id} not found in vault ${this.name}`);
    if (key.type !== handle.type) throw new InvalidInputError('vault', `signing key ${handle.id} is ${key.type}, not ${String(handle.type)}`);
    return key;
  }

  private x25519Key(handle: X25519Handle): SoftwareX25519Key {
    checkHandle(handle, this.name);
    const key = this.x25519Keys.get(handle.id);
    if (!key) throw new NotFoundError('vault', `X25519 key ${handle.id} not found in vault ${this.name}`);
    return key;
  }
}
