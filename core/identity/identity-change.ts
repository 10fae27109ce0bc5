import { encodeDeterministic, sha256 } from '../cbor.js';
import type { PublicKey } from '../vault/keys.js';
import { PUBLIC_KEY_LENGTH } from '../vault/verify.js';
import { checkShape, decodeCanonical } from './signed-structure.js';

/** Version of the change data format. */
export const IDENTITY_CHANGE_VERSION = 1;

/** One entry of an identity's change history (what the signatures cover, once encoded). */
export interface IdentityChangeData {
  readonly version: number;
  /** The primary public key from this change on. */
  readonly primaryPublicKey: PublicKey;
  /** Seconds since the Unix epoch. */
  readonly createdAt: number;
  /** Seconds since the Unix epoch; the key may not sign changes or attestations after it. */
  readonly expiresAt: number;
  /** SHA-256 of the previous change's encoded data; absent on the first change. */
  readonly previousChangeHash?: Uint8Array;
}

/** A decoded, signed change. `hash` = SHA-256(`encoded`) is also the digest its signatures cover. */
export interface IdentityChange {
  readonly data: IdentityChangeData;
  readonly encoded: Uint8Array;
  readonly hash: Uint8Array;
  /** Signature by `data.primaryPublicKey`. */
  readonly signature: Uint8Array;
  /** Signature by the previous change's primary key (rotations only). */
  readonly previousSignature?: Uint8Array;
}

/** Deterministic CBOR encoding of change data (the domain tag `kind` is added here). */
export function encodeChangeData(data: IdentityChangeData): Uint8Array {
  const value: Record<string, unknown> = {
    kind: 'identity-change',
    version: data.version,
    primaryPublicKey: { type: data.primaryPublicKey.type, bytes: data.primaryPublicKey.bytes },
    createdAt: data.createdAt,
    expiresAt: data.expiresAt,
  };
  if (data.previousChangeHash) value.previousChangeHash = data.previousChangeHash;
  return encodeDeterministic(value);
}

/** SHA-256 of encoded change data. */
export function changeHash(encoded: Uint8Array): Uint8Array {
  return sha256(encoded);
}

/** Decodes and checks the shape of change data; returns a reason string on failure. */
export function decodeChangeData(encoded: Uint8Array): IdentityChangeData | string {
  const value = decodeCanonical(encoded, 'identity', 'identity change');
  if (typeof value === 'string') return value;
  const fields = ['kind', 'version', 'primaryPublicKey', 'createdAt', 'expiresAt'];
  const shape = checkShape(value, fields, [...fields, 'previousChangeHash']);
  if (shape) return shape;
  const v = value as Record<string, unknown>;
  if (v.kind !== 'identity-change') return 'not an identity change';
  if (v.version !== IDENTITY_CHANGE_VERSION) return `unsupported version ${String(v.version)}`;
  const key = publicKeyFrom(v.primaryPublicKey);
  if (typeof key === 'string') return key;
  if (!isSeconds(v.createdAt) || !isSeconds(v.expiresAt)) return 'timestamps must be whole seconds';
  if (v.expiresAt <= v.createdAt) return 'expiresAt is not after createdAt';
  if (v.previousChangeHash !== undefined && !(v.previousChangeHash instanceof Uint8Array && v.previousChangeHash.length === 32)) {
    return 'previousChangeHash must be 32 bytes';
  }
  return {
    version: v.version,
    primaryPublicKey: key,
    createdAt: v.createdAt,
    expiresAt: v.expiresAt,
    ...(v.previousChangeHash ? { previousChangeHash: v.previousChangeHash } : {}),
  };
}

/** Checks a decoded `{ type, bytes }` signing public key; returns a reason string on failure. */
export function publicKeyFrom(value: unknown): PublicKey | string {
  const shape = checkShape(value, ['type', 'bytes'], ['type', 'bytes']);
  if (shape) return `public key: ${shape}`;
  const { type, bytes } = value as { type: unknown; bytes: unknown };
  if (type !== 'ed25519' && type !== 'p256') return `unsupported key type ${String(type)}`;
  if (!(bytes instanceof Uint8Array) || bytes.length !== PUBLIC_KEY_LENGTH[type]) return `${type} public key has the wrong length`;
  return { type, bytes };
}

/** True for a non-negative safe integer. */
export function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
