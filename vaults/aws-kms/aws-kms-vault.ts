import {
  CreateKeyCommand, DescribeKeyCommand, GetPublicKeyCommand, KMSClient, ScheduleKeyDeletionCommand, SignCommand,
  type KMSClientConfig, type KeyMetadata,
} from '@aws-sdk/client-kms';
import { AbortedError, InvalidInputError, NotFoundError, UnsupportedError, assertBytes } from '../../core/errors.js';
import type { KeyHandle, PublicKey, Signature, SigningKeyType } from '../../core/vault/keys.js';
import type { SigningVault, VaultCallOptions } from '../../core/vault/signing-vault.js';
import { p256SignatureDerToRaw, spkiToRawPublicKey } from '../../core/vault/verify.js';
import { parseAwsKmsConfig, type AwsKmsVaultConfig } from './aws-kms-config.js';
import { isRetryableKmsError, mapKmsError } from './aws-kms-errors.js';
import { DEFAULT_BACKOFF, retryWithBackoff, type BackoffOptions } from './backoff.js';

/** Run-time options that are not persisted (credentials, retry tuning). */
export interface AwsKmsVaultOptions {
  /** Credentials or a provider; default: the standard AWS credential chain. */
  readonly credentials?: KMSClientConfig['credentials'];
  /** Retry tuning for throttling and transient errors. */
  readonly backoff?: Partial<Omit<BackoffOptions, 'signal'>>;
  /** Per-request timeout in milliseconds (default 10 000). */
  readonly requestTimeoutMs?: number;
}

const KEY_SPEC: Readonly<Record<SigningKeyType, string>> = { p256: 'ECC_NIST_P256', ed25519: 'ECC_NIST_EDWARDS25519' };
const LABEL = /^[\p{L}\p{N} _.:/=+@-]{1,128}$/u;

function typeOfSpec(spec: string | undefined, keyId: string): SigningKeyType {
  if (spec === 'ECC_NIST_P256') return 'p256';
  if (spec === 'ECC_NIST_EDWARDS25519') return 'ed25519';
  throw new UnsupportedError('vault', `AWS KMS key ${keyId} has key spec ${spec ?? 'unknown'}; use ECC_NIST_P256 or ECC_NIST_EDWARDS25519`);
}

/**
 * A signing vault backed by AWS KMS (or a KMS-compatible endpoint). Keys are created
 * inside KMS as SIGN_VERIFY keys (ECC_NIST_P256 or ECC_NIST_EDWARDS25519); private key
 * material never leaves it. P-256 signs the digest (ECDSA_SHA_256, MessageType DIGEST)
 * and the DER result is returned as r||s; Ed25519 signs the digest as the message
 * (ED25519_SHA_512, MessageType RAW). Handles carry the KMS key id, alias or ARN.
 * Nothing is persisted here: the vault lists the configured keys plus those it created.
 */
export class AwsKmsVault implements SigningVault {
  readonly supportedKeyTypes: readonly SigningKeyType[] = ['p256', 'ed25519'];
  private readonly client: KMSClient;
  private readonly endpointName: string;
  private readonly backoff: Omit<BackoffOptions, 'signal'>;
  private readonly known = new Map<string, SigningKeyType | undefined>();
  private readonly publicKeys = new Map<string, PublicKey>();

  constructor(readonly name: string, private readonly config: AwsKmsVaultConfig, options: AwsKmsVaultOptions = {}) {
    // The SDK warns on every run that later releases need a newer Node; users cannot act on it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const timeout = options.requestTimeoutMs ?? 10_000;
    this.client = new KMSClient({
      region: config.region,
      endpoint: config.endpoint,
      credentials: options.credentials,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
    });
    this.endpointName = config.endpoint ?? `kms.${config.region}.amazonaws.com`;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff, origin: 'vault' };
    for (const id of config.keyIds ?? []) this.known.set(id, undefined);
  }

  /** Creates a SIGN_VERIFY key in KMS, tagged with the vault name and the label. */
  async generateSigningKey(type: SigningKeyType, options: VaultCallOptions & { label?: string } = {}): Promise<KeyHandle> {
    if (type !== 'p256' && type !== 'ed25519') throw new UnsupportedError('vault', `AWS KMS vault cannot create ${String(type)} keys`);
    const label = options.label ?? 'symbolon';
    if (!LABEL.test(label)) throw new InvalidInputError('vault', 'key label must be 1-128 letters, digits, spaces or _ . : / = + @ -');
    const out = await this.call('CreateKey', undefined, options.signal, (abortSignal) => this.client.send(new CreateKeyCommand({
      KeyUsage: 'SIGN_VERIFY',
      KeySpec: KEY_SPEC[type] as 'ECC_NIST_P256',
      Description: `Symbolon signing key "${label}" of vault "${this.name}"`,
      Tags: [{ TagKey: 'symbolon:label', TagValue: label }, { TagKey: 'symbolon:vault', TagValue: this.name.slice(0, 256) }],
    }), { abortSignal }));
    const id = out.KeyMetadata?.KeyId;
    if (!id) throw new InvalidInputError('vault', 'AWS KMS CreateKey returned no key id');
    this.known.set(id, type);
    return { vault: this.name, id, type };
  }

  /** The public key, from GetPublicKey's SubjectPublicKeyInfo; checks usage and spec. */
  async signingPublicKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<PublicKey> {
    this.checkHandle(handle);
    const cached = this.publicKeys.get(handle.id);
    if (cached) return cached;
    const out = await this.call('GetPublicKey', handle.id, options.signal, (abortSignal) =>
      this.client.send(new GetPublicKeyCommand({ KeyId: handle.id }), { abortSignal }));
    if (out.KeyUsage !== 'SIGN_VERIFY') throw new InvalidInputError('vault', `AWS KMS key ${handle.id} has key usage ${out.KeyUsage ?? 'unknown'}; it must be SIGN_VERIFY`);
    const type = typeOfSpec(out.KeySpec, handle.id);
    if (type !== handle.type) throw new InvalidInputError('vault', `AWS KMS key ${handle.id} is ${type}, but the handle says ${handle.type}`);
    if (!out.PublicKey) throw new InvalidInputError('vault', `AWS KMS returned no public key for ${handle.id}`);
    const key = spkiToRawPublicKey(out.PublicKey, type);
    this.publicKeys.set(handle.id, key);
    return key;
  }

  /** Signs a 32-byte digest inside KMS. */
  async signDigest(handle: KeyHandle, digest: Uint8Array, options: VaultCallOptions = {}): Promise<Signature> {
    this.checkHandle(handle);
    assertBytes(digest, 32, 'digest', 'vault');
    const p256 = handle.type === 'p256';
    const out = await this.call('Sign', handle.id, options.signal, (abortSignal) => this.client.send(new SignCommand({
      KeyId: handle.id,
      Message: digest,
      MessageType: p256 ? 'DIGEST' : 'RAW',
      SigningAlgorithm: p256 ? 'ECDSA_SHA_256' : 'ED25519_SHA_512',
    }), { abortSignal }));
    if (!out.Signature) throw new InvalidInputError('vault', `AWS KMS returned no signature for ${handle.id}`);
    const bytes = p256 ? p256SignatureDerToRaw(out.Signature) : new Uint8Array(out.Signature);
    if (bytes.length !== 64) throw new InvalidInputError('vault', `AWS KMS returned a ${bytes.length}-byte signature for ${handle.id}`);
    return { type: handle.type, bytes };
  }

  /** Schedules the key's deletion (after `deletionWindowDays`, default 7) and forgets it. */
  async deleteSigningKey(handle: KeyHandle, options: VaultCallOptions = {}): Promise<void> {
    this.checkHandle(handle);
    await this.call('ScheduleKeyDeletion', handle.id, options.signal, (abortSignal) => this.client.send(new ScheduleKeyDeletionCommand({
      KeyId: handle.id, PendingWindowInDays: this.config.deletionWindowDays ?? 7,
    }), { abortSignal }));
    this.known.delete(handle.id);
    this.publicKeys.delete(handle.id);
  }

  /** Handles of the configured keys (described once to learn their type) and of the keys created here. */
  async listSigningKeys(options: VaultCallOptions = {}): Promise<KeyHandle[]> {
    const handles: KeyHandle[] = [];
    for (const [id, known] of this.known) {
      let type = known;
      if (type === undefined) {
        type = await this.describeType(id, options.signal);
        this.known.set(id, type);
      }
      handles.push({ vault: this.name, id, type });
    }
    return handles;
  }

  /** Releases the SDK's HTTP connections. */
  async close(): Promise<void> {
    this.client.destroy();
  }

  private async describeType(id: string, signal: AbortSignal | undefined): Promise<SigningKeyType> {
    const out = await this.call('DescribeKey', id, signal, (abortSignal) => this.client.send(new DescribeKeyCommand({ KeyId: id }), { abortSignal }));
    const meta: KeyMetadata | undefined = out.KeyMetadata;
    if (meta?.KeyUsage !== 'SIGN_VERIFY') throw new InvalidInputError('vault', `AWS KMS key ${id} has key usage ${meta?.KeyUsage ?? 'unknown'}; it must be SIGN_VERIFY`);
    return typeOfSpec(meta.KeySpec, id);
  }

  private checkHandle(handle: KeyHandle): void {
    if (handle.vault !== this.name) throw new InvalidInputError('vault', `key handle belongs to vault ${handle.vault}, not ${this.name}`);
    if (handle.type !== 'p256' && handle.type !== 'ed25519') throw new UnsupportedError('vault', `AWS KMS vault cannot use ${String(handle.type)} keys`);
  }

  /** Runs one KMS call with bounded retries, mapping failures to SymbolonErrors. */
  private async call<T>(operation: string, keyId: string | undefined, signal: AbortSignal | undefined, send: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw new AbortedError('vault', `AWS KMS ${operation} aborted`);
    let attempts = 0;
    try {
      return await retryWithBackoff((n) => { attempts = n; return send(signal); }, isRetryableKmsError, { ...this.backoff, signal });
    } catch (error) {
      const mapped = mapKmsError(error, { operation, keyId, endpoint: this.endpointName }, attempts);
      if (keyId !== undefined && (error as { name?: string }).name === 'KMSInvalidStateException' && operation !== 'DescribeKey') {
        if (await this.isPendingDeletion(keyId, signal)) throw new NotFoundError('vault', `AWS KMS key ${keyId} is pending deletion`, { cause: error });
      }
      throw mapped;
    }
  }

  private async isPendingDeletion(keyId: string, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      const out = await this.client.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: signal });
      return out.KeyMetadata?.KeyState === 'PendingDeletion' || out.KeyMetadata?.KeyState === 'PendingReplicaDeletion';
    } catch {
      return false;
    }
  }
}

/**
 * Builds an AWS KMS vault from its persisted JSON config (validated here) and run-time
 * options. Credentials default to the standard AWS chain.
 */
export function createAwsKmsVault(name: string, config: unknown, options: AwsKmsVaultOptions = {}): AwsKmsVault {
  return new AwsKmsVault(name, parseAwsKmsConfig(config), options);
}
