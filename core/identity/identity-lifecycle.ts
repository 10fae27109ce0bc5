import { InvalidInputError } from '../errors.js';
import type { KeyHandle, SigningKeyType } from '../vault/keys.js';
import type { SigningVault } from '../vault/signing-vault.js';
import { changeHash, encodeChangeData, IDENTITY_CHANGE_VERSION, type IdentityChange, type IdentityChangeData } from './identity-change.js';
import { Identity } from './identity.js';
import { assertSeconds, assertTtl, nowSeconds } from './seconds.js';

/** Default validity of a primary key: 10 years. */
export const DEFAULT_IDENTITY_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** Options of {@link createIdentity} and {@link rotateIdentity}. */
export interface IdentityChangeOptions {
  /** Validity of the new primary key in seconds; default 10 years. */
  readonly ttl?: number;
  /** Creation time in seconds; default now. */
  readonly now?: number;
  /** Label hint for the vault key. */
  readonly label?: string;
  readonly signal?: AbortSignal;
}

/**
 * Creates an identity: generates a primary key of `keyType` in `vault`, signs the first
 * change with it, and returns the identity with `primaryKeyHandle` set.
 */
export async function createIdentity(vault: SigningVault, keyType: SigningKeyType, options: IdentityChangeOptions = {}): Promise<Identity> {
  const { createdAt, expiresAt } = window(options);
  const handle = await vault.generateSigningKey(keyType, { label: options.label ?? 'identity', signal: options.signal });
  const primaryPublicKey = await vault.signingPublicKey(handle, { signal: options.signal });
  const data: IdentityChangeData = { version: IDENTITY_CHANGE_VERSION, primaryPublicKey, createdAt, expiresAt };
  const encoded = encodeChangeData(data);
  const hash = changeHash(encoded);
  const signature = await vault.signDigest(handle, hash, { signal: options.signal });
  return new Identity([{ data, encoded, hash, signature: signature.bytes }], handle);
}

/**
 * Rotates the primary key: generates a new key of `newKeyType` (default: the current
 * type) in `newVault`, and appends a change signed by the new key and by the current key
 * (`identity.primaryKeyHandle` in `oldVault`). The identifier stays the same.
 */
export async function rotateIdentity(
  identity: Identity,
  oldVault: SigningVault,
  newVault: SigningVault,
  newKeyType?: SigningKeyType,
  options: IdentityChangeOptions = {},
): Promise<Identity> {
  const oldHandle = identity.primaryKeyHandle;
  if (!oldHandle) throw new InvalidInputError('identity', `identity ${identity.identifier} has no local primary key handle to rotate from`);
  const previous = identity.currentChange;
  const { createdAt, expiresAt } = window(options);
  if (createdAt < previous.data.createdAt) throw new InvalidInputError('identity', 'rotation time is before the current change');
  if (createdAt > previous.data.expiresAt) throw new InvalidInputError('identity', 'the current primary key has expired; it can no longer rotate');
  const handle: KeyHandle = await newVault.generateSigningKey(newKeyType ?? identity.currentPublicKey.type, {
    label: options.label ?? 'identity', signal: options.signal,
  });
  const primaryPublicKey = await newVault.signingPublicKey(handle, { signal: options.signal });
  const data: IdentityChangeData = { version: IDENTITY_CHANGE_VERSION, primaryPublicKey, createdAt, expiresAt, previousChangeHash: previous.hash };
  const encoded = encodeChangeData(data);
  const hash = changeHash(encoded);
  const signature = await newVault.signDigest(handle, hash, { signal: options.signal });
  const previousSignature = await identity.sign(oldVault, hash, { signal: options.signal });
  const change: IdentityChange = { data, encoded, hash, signature: signature.bytes, previousSignature: previousSignature.bytes };
  return new Identity([...identity.changes, change], handle);
}

function window(options: IdentityChangeOptions): { createdAt: number; expiresAt: number } {
  const createdAt = options.now ?? nowSeconds();
  assertSeconds(createdAt, 'now');
  const ttl = options.ttl ?? DEFAULT_IDENTITY_TTL_SECONDS;
  assertTtl(ttl, 'ttl');
  return { createdAt, expiresAt: createdAt + ttl };
}
