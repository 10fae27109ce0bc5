import { join } from 'node:path';
import type { Identity } from '../../core/identity/identity.js';
import { PurposeKeys } from '../../core/identity/purpose-keys.js';
import type { KeyHandle, PublicKey } from '../../core/vault/keys.js';
import type { SecureChannelVault, X25519Handle } from '../../core/vault/secure-channel-vault.js';
import type { SigningVault } from '../../core/vault/signing-vault.js';
import type { FileVault } from '../../vaults/file/file-vault.js';
import type { Home } from '../home/home.js';
import { defaultIdentityName, ensureIdentity, loadIdentity } from '../home/identity-registry.js';
import { configuredNodeIdentity } from '../home/node-security-config.js';
import { FilePurposeKeyStore } from '../home/purpose-key-file.js';
import { DEFAULT_VAULT, openFileVault, openVault, type OpenedVault } from '../home/vault-registry.js';

/** The node's X25519 secure-channel key, ready for a secure channel (`SecureChannelKey` shape). */
export interface NodeSecureChannelKey {
  readonly vault: SecureChannelVault;
  readonly handle: X25519Handle;
  readonly publicKey: Uint8Array;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
}

/** The node's credential-signing key (authorities sign credentials with it). */
export interface NodeCredentialSigningKey {
  readonly vault: SigningVault;
  readonly handle: KeyHandle;
  readonly publicKey: PublicKey;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
}

/** Options of {@link NodeIdentity.open}. */
export interface NodeIdentityOptions {
  readonly home: Home;
  /** The node's name. */
  readonly node: string;
  /** Identity to run as; default: the node config's, else the home's default (created if missing). */
  readonly identity?: string;
  readonly signal?: AbortSignal;
}

/**
 * Who a node is: its identity, the vault holding the identity's primary key (may be a KMS
 * or HSM), and its purpose keys (X25519 for secure channels, credential signing) in the
 * home's default file vault, attested by the primary key and persisted in
 * `nodes/<name>/purpose-keys.json`. `close` releases vault sessions.
 */
export class NodeIdentity {
  /** The name of the identity the node runs as. */
  readonly name: string;
  /** The verified identity, with its primary key handle. */
  readonly identity: Identity;
  /** The vault holding the identity's primary key. */
  readonly identityVault: SigningVault;
  /** The primary key's handle in `identityVault`. */
  readonly keyHandle: KeyHandle;
  /** The home's default file vault: X25519 and credential-signing purpose keys. */
  readonly localVault: FileVault;
  /** Purpose keys and their attestations. */
  readonly purposeKeys: PurposeKeys;
  private readonly opened: OpenedVault;

  private constructor(home: Home, node: string, name: string, identity: Identity, opened: OpenedVault, localVault: FileVault) {
    this.name = name;
    this.identity = identity;
    this.opened = opened;
    this.identityVault = opened.signing;
    this.keyHandle = identity.primaryKeyHandle as KeyHandle;
    this.localVault = localVault;
    this.purposeKeys = new PurposeKeys({
      identity, identityVault: this.identityVault, secureChannelVault: localVault, credentialVault: localVault,
      store: new FilePurposeKeyStore(join(home.node(node).dir, 'purpose-keys.json')),
    });
  }

  /**
   * Loads (or, for the home default, creates) the identity, opens its vault and the default
   * file vault, and makes sure the secure-channel key is attested (so a broken vault fails
   * the start, not the first handshake).
   */
  static async open(options: NodeIdentityOptions): Promise<NodeIdentity> {
    const { home, node, signal } = options;
    const configured = options.identity ?? configuredNodeIdentity(home, node);
    const name = configured ?? defaultIdentityName(home);
    if (configured === undefined) await ensureIdentity(home, undefined, signal ? { signal } : {});
    const { identity, record } = loadIdentity(home, name);
    const localVault = openFileVault(home, DEFAULT_VAULT);
    const opened: OpenedVault = record.vault === DEFAULT_VAULT
      ? { record: { name: DEFAULT_VAULT, type: 'file' as const, config: {}, createdAt: '' }, signing: localVault, secureChannel: localVault, close: async () => undefined }
      : await openVault(home, record.vault);
    try {
      const self = new NodeIdentity(home, node, name, identity, opened, localVault);
      await self.secureChannelKey(signal ? { signal } : {});
      return self;
    } catch (err) {
      await opened.close();
      throw err;
    }
  }

  /** The node's identifier (`I` + hex). */
  get identifier(): string {
    return this.identity.identifier;
  }

  /** The name of the vault holding the primary key. */
  get vaultName(): string {
    return this.opened.record.name;
  }

  /** The attested X25519 key for secure channels (re-attested before expiry). */
  async secureChannelKey(options: { signal?: AbortSignal } = {}): Promise<NodeSecureChannelKey> {
    const key = await this.purposeKeys.secureChannelKey(options);
    return { vault: this.localVault, handle: key.handle, publicKey: key.publicKey, attestation: key.attestation, expiresAt: key.expiresAt };
  }

  /** The attested credential-signing key (created on first use; re-attested before expiry). */
  async credentialSigningKey(options: { signal?: AbortSignal } = {}): Promise<NodeCredentialSigningKey> {
    const key = await this.purposeKeys.credentialSigningKey(options);
    return { vault: this.localVault, handle: key.handle, publicKey: key.publicKey, attestation: key.attestation, expiresAt: key.expiresAt };
  }

  /** Releases the identity vault's sessions. */
  async close(): Promise<void> {
    await this.opened.close();
  }
}
