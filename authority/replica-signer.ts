import { signerKeyId } from '../core/credential/signer-key.js';
import type { AttestedSigningKey } from '../core/identity/purpose-keys.js';
import { silentLogger, type Logger } from '../core/logger.js';
import type { SignerRecord, StoreCallOptions } from './authority-store.js';
import type { Authority } from './authority.js';
import { SignerWithdrawnError } from './signer-withdrawn-error.js';

/** A replica's purpose keys as the signer needs them (`PurposeKeys` of core/identity). */
export interface ReplicaPurposeKeys {
  credentialSigningKey(options?: { signal?: AbortSignal }): Promise<AttestedSigningKey>;
  replaceCredentialSigningKey(options?: { signal?: AbortSignal; unless?: string }): Promise<AttestedSigningKey>;
}

/** An attested, registered signing key with its id. */
export interface RegisteredSigningKey extends AttestedSigningKey {
  /** `signerKeyId` of the public key. */
  readonly keyId: string;
}

/** Options of {@link ReplicaSigner}. */
export interface ReplicaSignerOptions {
  /** Registers attestations in the signer list the replicas share (`Authority.registerSigner`). */
  readonly register: Pick<Authority, 'registerSigner'>;
  /** The name of this project node (replica): shown in `project signer list` and audit records. */
  readonly replica: string;
  /** This replica's purpose keys: the credential-signing key lives in its local vault, the primary key (which attests) may be in a KMS or HSM. */
  readonly purposeKeys: ReplicaPurposeKeys;
  readonly logger?: Logger;
}

/**
 * One replica's credential-signing key: created in the replica's local vault, attested once
 * by the authority's primary key (the only time a KMS or HSM is asked to sign, apart from
 * re-attestation before expiry and audit checkpoints), and registered in the authority's
 * signer list (audited `signer.attested`), so admins see and can withdraw it. When its key
 * is found withdrawn (here, at another replica, or at issuance), the next call makes a new
 * key, attests and registers it: credentials and revocation lists are never signed with a
 * withdrawn key. Use it where `PurposeKeys` would be used for credential signing.
 */
export class ReplicaSigner {
  private readonly logger: Logger;
  private readonly withdrawn = new Set<string>();
  private registered: string | undefined;
  private pending: Promise<RegisteredSigningKey> | undefined;

  constructor(private readonly options: ReplicaSignerOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** The registered, attested credential-signing key (made, attested and registered on first use or after a withdrawal). */
  async credentialSigningKey(options: { signal?: AbortSignal } = {}): Promise<RegisteredSigningKey> {
    const key = await this.options.purposeKeys.credentialSigningKey(options);
    const keyId = signerKeyId(key.publicKey);
    const attestation = Buffer.from(key.attestation).toString('hex');
    if (!this.withdrawn.has(keyId) && this.registered === `${keyId}/${attestation}`) return { ...key, keyId };
    // One registration (or replacement) at a time: concurrent issuances wait for it.
    this.pending ??= this.ensureRegistered(options.signal).finally(() => { this.pending = undefined; });
    return await this.pending;
  }

  /** Marks `keyId` withdrawn: when it is this replica's key, the next call replaces it. */
  markWithdrawn(keyId: string): void {
    this.withdrawn.add(keyId);
  }

  /**
   * Reads the signer list (shared by the replicas) and marks this replica's key withdrawn
   * when an admin withdrew it anywhere. Returns the list.
   */
  async check(signers: () => Promise<readonly SignerRecord[]>): Promise<readonly SignerRecord[]> {
    const list = await signers();
    for (const s of list) if (s.withdrawnAt !== undefined) this.withdrawn.add(s.keyId);
    return list;
  }

  private async ensureRegistered(signal?: AbortSignal): Promise<RegisteredSigningKey> {
    const opts = signal ? { signal } : {};
    let key = await this.options.purposeKeys.credentialSigningKey(opts);
    for (let attempt = 0; ; attempt++) {
      let keyId = signerKeyId(key.publicKey);
      if (this.withdrawn.has(keyId)) {
        const old = keyId;
        key = await this.options.purposeKeys.replaceCredentialSigningKey({ ...opts, unless: key.handle.id });
        keyId = signerKeyId(key.publicKey);
        this.logger.warn({ withdrawn: old, signerKey: keyId, replica: this.options.replica }, 'signing key withdrawn: a new one is attested and registered');
      }
      try {
        await this.options.register.registerSigner({
          replica: this.options.replica, publicKey: key.publicKey, attestation: key.attestation, expiresAt: key.expiresAt * 1000,
        }, opts as StoreCallOptions);
        this.registered = `${keyId}/${Buffer.from(key.attestation).toString('hex')}`;
        return { ...key, keyId };
      } catch (error) {
        if (!(error instanceof SignerWithdrawnError) || attempt >= 2) throw error;
        this.withdrawn.add(keyId);
      }
    }
  }
}

/**
 * Creates (or loads), attests and registers the credential-signing key of replica
 * `replica`: the call a new project node replica makes once at start. Returns the
 * {@link ReplicaSigner} to sign credentials and revocation lists with.
 */
export async function attestReplicaSigner(options: ReplicaSignerOptions & { signal?: AbortSignal }): Promise<{ signer: ReplicaSigner; key: RegisteredSigningKey }> {
  const signer = new ReplicaSigner(options);
  const key = await signer.credentialSigningKey(options.signal ? { signal: options.signal } : {});
  return { signer, key };
}

/**
 * Withdraws the attestation of signing key `keyId` as admin `actor` (audited
 * `signer.withdrawn`): the authority stops issuing with it, and member nodes refuse the
 * credentials it signed once they hold the next revocation list (within seconds).
 */
export async function withdrawReplicaSigner(authority: Pick<Authority, 'withdrawSigner'>, actor: string, keyId: string, options?: StoreCallOptions): Promise<SignerRecord> {
  return await authority.withdrawSigner(actor, keyId, options);
}
