import { randomBytes } from 'node:crypto';
import type { TokenCredential } from '@azure/identity';
import { CryptographyClient, KeyClient, type KeyClientOptions, type KeyVaultKey } from '@azure/keyvault-keys';
import { AbortedError, InvalidInputError, UnsupportedError, assertBytes } from '../../core/errors.js';
import type { KeyHandle, PublicKey, Signature, SigningKeyType } from '../../core/vault/keys.js';
import type { SigningVault, VaultCallOptions } from '../../core/vault/signing-vault.js';
import { parseAzureConfig, type AzureKeyVaultConfig } from './azure-config.js';
import { mapAzureError } from './azure-errors.js';

/** Run-time options that are not persisted. */
export interface AzureKeyVaultOptions {
  /** Credential; default DefaultAzureCredential (or a fixed test token with insecureTestEndpoint). */
  readonly credential?: TokenCredential;
  /** Retries of throttled (429, honouring Retry-After) and failed calls; default 3. */
  readonly maxRetries?: number;
}

/** The bearer token the insecure test mode presents. */
export const AZURE_INSECURE_TEST_TOKEN = 'symbolon-insecure-test-token';
const HANDLE_ID = /^([0-9a-zA-Z-]{1,127})\/([0-9a-zA-Z]{1,64})$/;

/**
 * A signing vault backed by Azure Key Vault (or Managed HSM): P-256 keys created in
 * the vault, ES256 over the 32-byte digest (the service returns r||s). Ed25519 is not
 * offered by Key Vault. Handle ids are `name/version`. Nothing is persisted here: the
 * vault lists the configured key plus the keys it created.
 */
export class AzureKeyVault implements SigningVault {
  readonly supportedKeyTypes: readonly SigningKeyType[] = ['p256'];
  private readonly client: KeyClient;
  private readonly clientOptions: KeyClientOptions;
  private readonly created = new Set<string>();
  private readonly crypto = new Map<string, CryptographyClient>();

  constructor(readonly name: string, private readonly config: AzureKeyVaultConfig, private readonly credential: TokenCredential, options: AzureKeyVaultOptions = {}) {
    this.clientOptions = {
      retryOptions: { maxRetries: options.maxRetries ?? 3, retryDelayInMs: 200, maxRetryDelayInMs: 5_000 },
      ...(config.insecureTestEndpoint ? { allowInsecureConnection: true, disableChallengeResourceVerification: true } : {}),
    };
    this.client = new KeyClient(config.vaultUrl, credential, this.clientOptions);
  }

  /** Creates a P-256 key named after the label plus a random suffix. */
  async generateSigningKey(type: SigningKeyType, options: VaultCallOptions & { label?: string } = {}): Promise<KeyHandle> {
    if (type !== 'p256') throw new UnsupportedError('vault', `Azure Key Vault has no ${String(type)} keys; use p256`);
    const base = (options.label ?? 'symbolon').replace(/[^0-9a-zA-Z-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 100) || 'symbolon';
    const keyName = `${base}-${randomBytes(4).toString('hex')}`;
    const key = await this.call('create', keyName, options.signal, (abortSignal) =>
      this.client.createEcKey(keyName, { curve: 'P-256', keyOps: ['sign', 'verify'], tags: { 'symbolon-vault': this.name }, abortSignal }));
    const handle = this.handleOf(key);
    this.created.add(handle.id);
    return handle;
  }

  /** The public key from the key's JWK (x, y). */
  async signingPublicKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<PublicKey> {
    const [keyName, version] = this.parse(handle);
    const key = await this.call('get', keyName, options.signal, (abortSignal) => this.client.getKey(keyName, { version, abortSignal }));
    return { type: 'p256', bytes: this.publicBytes(key) };
  }

  /** Signs a 32-byte digest with ES256 inside Key Vault. */
  async signDigest(handle: KeyHandle, digest: Uint8Array, options: VaultCallOptions = {}): Promise<Signature> {
    const [keyName, version] = this.parse(handle);
    assertBytes(digest, 32, 'digest', 'vault');
    let crypto = this.crypto.get(handle.id);
    if (!crypto) {
      crypto = new CryptographyClient(`${this.config.vaultUrl}/keys/${keyName}/${version}`, this.credential, this.clientOptions);
      this.crypto.set(handle.id, crypto);
    }
    const c = crypto;
    const out = await this.call('sign', keyName, options.signal, (abortSignal) => c.sign('ES256', digest, { abortSignal }));
    if (out.result.length !== 64) throw new InvalidInputError('vault', `Azure Key Vault returned a ${out.result.length}-byte ES256 signature`);
    return { type: 'p256', bytes: new Uint8Array(out.result) };
  }

  /** Deletes the key (every version of its name; soft-deleted per the vault's retention). */
  async deleteSigningKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<void> {
    const [keyName] = this.parse(handle);
    await this.call('delete', keyName, options.signal, (abortSignal) => this.client.beginDeleteKey(keyName, { abortSignal }));
    for (const id of [...this.created]) if (id.startsWith(`${keyName}/`)) this.created.delete(id);
    for (const id of [...this.crypto.keys()]) if (id.startsWith(`${keyName}/`)) this.crypto.delete(id);
  }

  /** The configured key (checked to be a P-256 signing key) and the keys created here. */
  async listSigningKeys(options: VaultCallOptions = {}): Promise<KeyHandle[]> {
    const handles: KeyHandle[] = [];
    const { keyName, keyVersion } = this.config;
    if (keyName !== undefined) {
      const key = await this.call('get', keyName, options.signal, (abortSignal) => this.client.getKey(keyName, { version: keyVersion, abortSignal }));
      this.publicBytes(key);
      if (!(key.keyOperations ?? []).includes('sign')) throw new InvalidInputError('vault', `Azure Key Vault key ${keyName} does not allow the sign operation`);
      handles.push(this.handleOf(key));
    }
    for (const id of this.created) if (!handles.some((h) => h.id === id)) handles.push({ vault: this.name, id, type: 'p256' });
    return handles;
  }

  /** Nothing to release: the SDK's HTTP agent is shared and idles out. */
  async close(): Promise<void> {
    this.crypto.clear();
  }

  private handleOf(key: KeyVaultKey): KeyHandle {
    const version = key.properties.version;
    if (!version) throw new InvalidInputError('vault', `Azure Key Vault returned key ${key.name} without a version`);
    return { vault: this.name, id: `${key.name}/${version}`, type: 'p256' };
  }

  private parse(handle: KeyHandle): [string, string] {
    if (handle.vault !== this.name) throw new InvalidInputError('vault', `key handle belongs to vault ${handle.vault}, not ${this.name}`);
    if (handle.type !== 'p256') throw new UnsupportedError('vault', `Azure Key Vault has no ${String(handle.type)} keys`);
    const m = HANDLE_ID.exec(handle.id);
    if (!m) throw new InvalidInputError('vault', `Azure key handle id must be name/version, got ${handle.id}`);
    return [m[1]!, m[2]!];
  }

  private publicBytes(key: KeyVaultKey): Uint8Array {
    const jwk = key.key;
    if (!jwk || (jwk.kty !== 'EC' && jwk.kty !== 'EC-HSM') || jwk.crv !== 'P-256') {
      throw new UnsupportedError('vault', `Azure Key Vault key ${key.name} is ${jwk?.kty ?? '?'} ${jwk?.crv ?? ''}; symbolon needs an EC P-256 key`);
    }
    const { x, y } = jwk;
    if (!x || !y || x.length !== 32 || y.length !== 32) throw new InvalidInputError('vault', `Azure Key Vault key ${key.name} has malformed coordinates`);
    const out = new Uint8Array(65);
    out[0] = 0x04;
    out.set(x, 1);
    out.set(y, 33);
    return out;
  }

  private async call<T>(permission: string, keyName: string | undefined, signal: AbortSignal | undefined, run: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new AbortedError('vault', `Azure Key Vault ${permission} aborted`);
    try {
      return await run(signal);
    } catch (error) {
      throw mapAzureError(error, { permission, keyName, vaultUrl: this.config.vaultUrl });
    }
  }
}

/**
 * Builds an Azure Key Vault vault from its persisted JSON config (validated here).
 * The credential defaults to DefaultAzureCredential; in the insecure test mode
 * (config.insecureTestEndpoint with SYMBOLON_AZURE_INSECURE_TEST=1) to a fixed token.
 */
export async function createAzureKeyVault(name: string, config: unknown, options: AzureKeyVaultOptions = {}): Promise<AzureKeyVault> {
  const parsed = parseAzureConfig(config);
  let credential = options.credential;
  if (!credential && parsed.insecureTestEndpoint) {
    credential = { getToken: async () => ({ token: AZURE_INSECURE_TEST_TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  }
  if (!credential) {
    const { DefaultAzureCredential } = await import('@azure/identity');
    credential = new DefaultAzureCredential();
  }
  return new AzureKeyVault(name, parsed, credential, options);
}
