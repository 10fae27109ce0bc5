import { InvalidInputError } from '../errors.js';
import type { KeyHandle, PublicKey, Signature } from '../vault/keys.js';
import type { SigningVault, VaultCallOptions } from '../vault/signing-vault.js';
import { verifySignature } from '../vault/verify.js';
import { DEFAULT_MAX_DRIFT_SECONDS, encodeChangeHistory, verifyChangeHistory } from './change-history.js';
import { identifierFromHash } from './identifier.js';
import type { IdentityChange } from './identity-change.js';
import { IdentityVerificationError } from './identity-error.js';
import { assertSeconds, nowSeconds } from './seconds.js';

/** JSON form of an identity: its verified change history in hex, plus the local key handle if any. */
export interface IdentityJSON {
  readonly identifier: string;
  readonly changeHistory: string;
  readonly primaryKeyHandle?: KeyHandle;
}

/**
 * A verified identity: an identifier and the change history behind it. Build one with
 * `createIdentity`, `rotateIdentity`, `importIdentity` or `Identity.fromJSON`, never from
 * unverified parts. `primaryKeyHandle` is set when this process holds the primary key.
 */
export class Identity {
  /** `I` + 32 hex characters; stable across rotations. */
  readonly identifier: string;
  /** The verified changes, oldest first. */
  readonly changes: readonly IdentityChange[];
  /** The vault handle of the current primary key, when held locally. */
  readonly primaryKeyHandle: KeyHandle | undefined;
  /** The encoded change history, computed once (the changes never change). */
  private encodedHistory: Uint8Array | undefined;

  /** @internal Use the factory functions; `changes` must already be verified. */
  constructor(changes: readonly IdentityChange[], primaryKeyHandle?: KeyHandle) {
    const first = changes[0];
    if (!first) throw new InvalidInputError('identity', 'an identity needs at least one change');
    this.changes = Object.freeze([...changes]);
    this.identifier = identifierFromHash(first.hash);
    if (primaryKeyHandle && primaryKeyHandle.type !== this.currentPublicKey.type) {
      throw new InvalidInputError('identity', `key handle is ${primaryKeyHandle.type} but the primary key is ${this.currentPublicKey.type}`);
    }
    this.primaryKeyHandle = primaryKeyHandle;
  }

  /** The latest change. */
  get currentChange(): IdentityChange {
    return this.changes[this.changes.length - 1] as IdentityChange;
  }

  /** The current primary public key. */
  get currentPublicKey(): PublicKey {
    return this.currentChange.data.primaryPublicKey;
  }

  /** When the current primary key expires (seconds since the epoch). */
  get expiresAt(): number {
    return this.currentChange.data.expiresAt;
  }

  /** The encoded change history (what handshakes carry). */
  get changeHistory(): Uint8Array {
    return this.exportChangeHistory();
  }

  /** The encoded change history: deterministic CBOR array of signed changes (a fresh copy each call). */
  exportChangeHistory(): Uint8Array {
    this.encodedHistory ??= encodeChangeHistory(this.changes);
    return new Uint8Array(this.encodedHistory);
  }

  /** The same identity with the local handle of its current primary key attached. */
  withPrimaryKeyHandle(handle: KeyHandle): Identity {
    return new Identity(this.changes, handle);
  }

  /**
   * Signs a 32-byte digest with the current primary key through `vault`, then checks the
   * result against `currentPublicKey` (so a handle of the wrong key is caught here).
   */
  async sign(vault: SigningVault, digest: Uint8Array, options: VaultCallOptions = {}): Promise<Signature> {
    const handle = this.primaryKeyHandle;
    if (!handle) throw new InvalidInputError('identity', `identity ${this.identifier} has no local primary key handle`);
    const signature = await vault.signDigest(handle, digest, options);
    if (!verifySignature(this.currentPublicKey, digest, signature)) {
      throw new IdentityVerificationError('key-mismatch', `vault key ${handle.id} is not the primary key of ${this.identifier}`);
    }
    return signature;
  }

  /** True when `other` has the same identifier and change history. */
  equals(other: Identity): boolean {
    return this.identifier === other.identifier && Buffer.from(this.exportChangeHistory()).equals(other.exportChangeHistory());
  }

  /** JSON form (hex change history); round-trips through {@link Identity.fromJSON}. */
  toJSON(): IdentityJSON {
    const json = { identifier: this.identifier, changeHistory: Buffer.from(this.exportChangeHistory()).toString('hex') };
    return this.primaryKeyHandle ? { ...json, primaryKeyHandle: { ...this.primaryKeyHandle } } : json;
  }

  /** Verifies a JSON identity at `now` (seconds, default the system clock), including that its identifier matches the history. */
  static fromJSON(json: IdentityJSON, now: number = nowSeconds(), options: { maxDriftSeconds?: number } = {}): Identity {
    if (json === null || typeof json !== 'object' || typeof json.changeHistory !== 'string' || !/^(?:[0-9a-f]{2})+$/.test(json.changeHistory)) {
      throw new IdentityVerificationError('malformed', 'identity JSON needs a hex changeHistory');
    }
    const identity = importIdentity(new Uint8Array(Buffer.from(json.changeHistory, 'hex')), now, options);
    if (json.identifier !== identity.identifier) {
      throw new IdentityVerificationError('identifier-mismatch', `identifier ${String(json.identifier)} does not match its change history (${identity.identifier})`);
    }
    return json.primaryKeyHandle ? identity.withPrimaryKeyHandle(json.primaryKeyHandle) : identity;
  }
}

/**
 * Decodes and fully verifies an encoded change history at `now` (seconds since the
 * epoch). With `expectedIdentifier`, also checks the identifier it yields.
 * Throws IdentityVerificationError naming the failing change and the reason.
 */
export function importIdentity(
  bytes: Uint8Array,
  now: number,
  options: { expectedIdentifier?: string; maxDriftSeconds?: number } = {},
): Identity {
  assertSeconds(now, 'now');
  const identity = new Identity(verifyChangeHistory(bytes, now, options.maxDriftSeconds ?? DEFAULT_MAX_DRIFT_SECONDS));
  if (options.expectedIdentifier !== undefined && options.expectedIdentifier !== identity.identifier) {
    throw new IdentityVerificationError('identifier-mismatch', `change history is for ${identity.identifier}, not ${options.expectedIdentifier}`);
  }
  return identity;
}
