import { InvalidInputError, NotFoundError, SymbolonError } from '../errors.js';
import type { KeyHandle, PublicKey, SigningKeyType } from '../vault/keys.js';
import type { SecureChannelVault, X25519Handle } from '../vault/secure-channel-vault.js';
import type { SigningVault } from '../vault/signing-vault.js';
import type { Identity } from './identity.js';
import {
  DEFAULT_ATTESTATION_TTL_SECONDS, attestPurposeKey, verifyPurposeKeyAttestation, type KeyPurpose, type PurposePublicKey,
} from './purpose-key-attestation.js';
import { MemoryPurposeKeyStore, type PurposeKeyStore } from './purpose-key-store.js';
import { nowSeconds } from './seconds.js';

/** An X25519 secure-channel key with its attestation. */
export interface AttestedSecureChannelKey {
  readonly handle: X25519Handle;
  readonly publicKey: Uint8Array;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
}

/** A credential-signing key with its attestation. */
export interface AttestedSigningKey {
  readonly handle: KeyHandle;
  readonly publicKey: PublicKey;
  readonly attestation: Uint8Array;
  readonly expiresAt: number;
}

/** Options of {@link PurposeKeys}. */
export interface PurposeKeysOptions {
  /** The identity; `identity.primaryKeyHandle` must be set. */
  readonly identity: Identity;
  /** The vault holding the identity's primary key (may be remote: called once per attestation). */
  readonly identityVault: SigningVault;
  /** The local vault for the X25519 key. */
  readonly secureChannelVault: SecureChannelVault;
  /** The local vault for the credential-signing key (needed only for `credentialSigningKey`). */
  readonly credentialVault?: SigningVault;
  /** Key type of a new credential-signing key; default ed25519. */
  readonly credentialKeyType?: SigningKeyType;
  /** Where records persist; default in memory. */
  readonly store?: PurposeKeyStore;
  /** Attestation validity in seconds; default 30 days. */
  readonly ttl?: number;
  /** Re-attest when less than this many seconds remain; default a quarter of `ttl`. */
  readonly renewBeforeSeconds?: number;
  /** Current time in seconds; default the system clock. */
  readonly clock?: () => number;
}

type Attested<K, H> = { handle: H; publicKey: K; attestation: Uint8Array; expiresAt: number };

/**
 * Creates or loads an identity's purpose keys (X25519 secure-channel key,
 * credential-signing key) with their attestations, and re-attests the same key when an
 * attestation is missing, invalid (e.g. after a rotation) or close to expiry.
 */
export class PurposeKeys {
  private readonly options: PurposeKeysOptions;
  private readonly store: PurposeKeyStore;
  private readonly ttl: number;
  private readonly renewBefore: number;
  private readonly clock: () => number;
  private readonly current = new Map<KeyPurpose, Promise<Attested<unknown, unknown>>>();

  constructor(options: PurposeKeysOptions) {
    if (!options.identity.primaryKeyHandle) throw new InvalidInputError('identity', 'purpose keys need the identity primary key handle');
    this.options = options;
    this.store = options.store ?? new MemoryPurposeKeyStore();
    this.ttl = options.ttl ?? DEFAULT_ATTESTATION_TTL_SECONDS;
    this.renewBefore = options.renewBeforeSeconds ?? Math.floor(this.ttl / 4);
    this.clock = options.clock ?? nowSeconds;
    if (!(this.renewBefore >= 0 && this.renewBefore < this.ttl)) throw new InvalidInputError('identity', 'renewBeforeSeconds must be at least 0 and less than ttl');
  }

  /** The attested X25519 secure-channel key (created on first use). */
  secureChannelKey(options: { signal?: AbortSignal } = {}): Promise<AttestedSecureChannelKey> {
    const vault = this.options.secureChannelVault;
    return this.get<Uint8Array, X25519Handle>('secure-channel', {
      make: async () => vault.generateX25519Key(),
      publicKey: async (h) => vault.x25519PublicKey(h),
      attested: (k) => ({ type: 'x25519', bytes: k }),
      handleOf: (r) => ({ vault: r.vault, id: r.id }),
      type: () => 'x25519',
    }, options.signal);
  }

  /** The attested credential-signing key (created on first use). */
  credentialSigningKey(options: { signal?: AbortSignal } = {}): Promise<AttestedSigningKey> {
    return this.signingKey(false, options.signal);
  }

  /**
   * Replaces the credential-signing key: a new key, attested by the primary key (one
   * signature), recorded, and the old key deleted from the local vault. For a key whose
   * attestation the authority withdrew. `unless` names a key id (vault id) already replaced:
   * concurrent callers that saw the same withdrawn key make one new key, not several.
   */
  replaceCredentialSigningKey(options: { signal?: AbortSignal; unless?: string } = {}): Promise<AttestedSigningKey> {
    return this.signingKey(options.unless ?? true, options.signal);
  }

  private signingKey(replace: boolean | string, signal?: AbortSignal): Promise<AttestedSigningKey> {
    const vault = this.options.credentialVault;
    if (!vault) return Promise.reject(new InvalidInputError('identity', 'no credential vault configured'));
    const keyType = this.options.credentialKeyType ?? 'ed25519';
    return this.get<PublicKey, KeyHandle>('credential-signing', {
      make: async (s) => vault.generateSigningKey(keyType, { label: 'credential-signing', signal: s }),
      publicKey: async (h, s) => vault.signingPublicKey(h, { signal: s }),
      attested: (k) => k,
      handleOf: (r) => ({ vault: r.vault, id: r.id, type: r.type as SigningKeyType }),
      type: (h) => h.type,
      discard: async (h) => { await vault.deleteSigningKey(h).catch(() => undefined); },
    }, signal, replace);
  }

  private get<K, H extends { vault: string; id: string }>(purpose: KeyPurpose, ops: KeyOps<K, H>, signal?: AbortSignal, replace: boolean | string = false): Promise<Attested<K, H>> {
    const cached = this.current.get(purpose) as Promise<Attested<K, H>> | undefined;
    const next = (cached ?? Promise.resolve(undefined)).catch(() => undefined).then(async (known) => {
      let value = known;
      // Replacing a named key: load the recorded key first, it may be that one.
      if (value === undefined && typeof replace === 'string') value = await this.refresh(purpose, ops, undefined, signal);
      const replacing = replace === true || (typeof replace === 'string' && value?.handle.id === replace);
      if (!replacing && value && value.expiresAt - this.renewBefore > this.clock()) return value;
      if (!replacing) return await this.refresh(purpose, ops, value, signal);
      const fresh = await this.refresh(purpose, ops, undefined, signal, true);
      if (value !== undefined) await ops.discard?.(value.handle);
      return fresh;
    });
    this.current.set(purpose, next);
    return next;
  }

  private async refresh<K, H extends { vault: string; id: string }>(
    purpose: KeyPurpose, ops: KeyOps<K, H>, known: Attested<K, H> | undefined, signal?: AbortSignal, fresh = false,
  ): Promise<Attested<K, H>> {
    const { identity, identityVault } = this.options;
    const now = this.clock();
    let handle = known?.handle;
    let publicKey = known?.publicKey;
    if (!handle && !fresh) {
      const record = await this.store.load(identity.identifier, purpose, { signal });
      if (record) {
        const candidate = ops.handleOf(record);
        publicKey = await ops.publicKey(candidate, signal).catch((error: unknown) => {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        });
        if (publicKey !== undefined) {
          handle = candidate;
          const reused = this.reuse(record.attestation, ops.attested(publicKey), purpose, now);
          if (reused !== undefined) return { handle, publicKey, attestation: reused.attestation, expiresAt: reused.expiresAt };
        }
      }
    }
    if (!handle || publicKey === undefined) {
      handle = await ops.make(signal);
      publicKey = await ops.publicKey(handle, signal);
    }
    const attestation = await attestPurposeKey(identity, identityVault, identity.primaryKeyHandle, purpose, ops.attested(publicKey), { ttl: this.ttl, now, signal });
    const { expiresAt } = verifyPurposeKeyAttestation(attestation, identity, purpose, now);
    await this.store.save(identity.identifier, {
      purpose, vault: handle.vault, id: handle.id, type: ops.type(handle), attestation: Buffer.from(attestation).toString('hex'),
    }, { signal });
    return { handle, publicKey, attestation, expiresAt };
  }

  /** A stored attestation still good for this key and not due for renewal, else undefined. */
  private reuse(hex: string, key: PurposePublicKey, purpose: KeyPurpose, now: number): { attestation: Uint8Array; expiresAt: number } | undefined {
    try {
      const attestation = new Uint8Array(Buffer.from(hex, 'hex'));
      const verified = verifyPurposeKeyAttestation(attestation, this.options.identity, purpose, now, { maxDriftSeconds: 0 });
      const same = verified.publicKey.type === key.type && Buffer.from(verified.publicKey.bytes).equals(key.bytes);
      return same && verified.expiresAt - this.renewBefore > now ? { attestation, expiresAt: verified.expiresAt } : undefined;
    } catch (error) {
      if (error instanceof SymbolonError) return undefined;
      throw error;
    }
  }
}

interface KeyOps<K, H> {
  make(signal?: AbortSignal): Promise<H>;
  publicKey(handle: H, signal?: AbortSignal): Promise<K>;
  attested(key: K): PurposePublicKey;
  handleOf(record: { vault: string; id: string; type: string }): H;
  type(handle: H): 'x25519' | 'ed25519' | 'p256';
  /** Deletes a replaced key (best effort). */
  discard?(handle: H): Promise<void>;
}
