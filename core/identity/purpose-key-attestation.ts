import { encodeDeterministic, sha256 } from '../cbor.js';
import { InvalidInputError } from '../errors.js';
import type { KeyHandle, PublicKey } from '../vault/keys.js';
import type { SigningVault } from '../vault/signing-vault.js';
import { PUBLIC_KEY_LENGTH, verifySignature } from '../vault/verify.js';
import { DEFAULT_MAX_DRIFT_SECONDS } from './change-history.js';
import type { Identity } from './identity.js';
import { isSeconds, publicKeyFrom } from './identity-change.js';
import { IdentityVerificationError, type IdentityFailureReason } from './identity-error.js';
import { assertSeconds, assertTtl, nowSeconds } from './seconds.js';
import { LruCache } from '../vault/lru-cache.js';
import { checkShape, decodeCanonical, encodeEnvelope, envelopeFrom, latin1, MAX_SIGNED_STRUCTURE_BYTES } from './signed-structure.js';

/** What a purpose key is for. */
export type KeyPurpose = 'secure-channel' | 'credential-signing';
/** An attested public key: X25519 for secure channels, a signing key for credentials. */
export type PurposePublicKey = { readonly type: 'x25519'; readonly bytes: Uint8Array } | PublicKey;

/** Version of the attestation data format. */
export const ATTESTATION_VERSION = 1;
/** Default attestation validity: 30 days. */
export const DEFAULT_ATTESTATION_TTL_SECONDS = 30 * 24 * 3600;

/** Most verified attestations remembered, and the largest one remembered (bytes). */
const VERIFIED_CAPACITY = 1024;
const VERIFIED_MAX_BYTES = 4096;
/**
 * Attestations whose encoding and signature verified, keyed by the signer's public key
 * and the exact attestation bytes (keys have a fixed length per type, so the key is
 * unambiguous). Subject, purpose and validity window are checked on every call.
 */
const verifiedAttestations = new LruCache<string, PurposeKeyAttestation>(VERIFIED_CAPACITY);

/** A verified purpose-key attestation. */
export interface PurposeKeyAttestation {
  readonly version: number;
  readonly subject: string;
  readonly purpose: KeyPurpose;
  readonly publicKey: PurposePublicKey;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Options of {@link attestPurposeKey}. */
export interface AttestOptions {
  /** Validity in seconds; default 30 days, capped at the primary key's expiry. */
  readonly ttl?: number;
  /** Creation time in seconds; default now. */
  readonly now?: number;
  readonly signal?: AbortSignal;
}

/**
 * Signs an attestation that `publicKey` is `identity`'s key for `purpose`, with the
 * identity's current primary key (`vault` holds it; `identity.primaryKeyHandle`, or
 * `handle` when given, names it). Returns the encoded attestation.
 */
export async function attestPurposeKey(
  identity: Identity,
  vault: SigningVault,
  handle: KeyHandle | undefined,
  purpose: KeyPurpose,
  publicKey: PurposePublicKey,
  options: AttestOptions = {},
): Promise<Uint8Array> {
  const reason = checkPurposeKey(purpose, publicKey);
  if (reason) throw new InvalidInputError('identity', `cannot attest: ${reason}`);
  const createdAt = options.now ?? nowSeconds();
  assertSeconds(createdAt, 'now');
  const ttl = options.ttl ?? DEFAULT_ATTESTATION_TTL_SECONDS;
  assertTtl(ttl, 'ttl');
  const expiresAt = Math.min(createdAt + ttl, identity.expiresAt);
  if (expiresAt <= createdAt) throw new InvalidInputError('identity', `the primary key of ${identity.identifier} has expired`);
  const data = encodeDeterministic({
    kind: 'purpose-key-attestation', version: ATTESTATION_VERSION, subject: identity.identifier, purpose,
    publicKey: { type: publicKey.type, bytes: publicKey.bytes }, createdAt, expiresAt,
  });
  const signer = handle ? identity.withPrimaryKeyHandle(handle) : identity;
  const signature = await signer.sign(vault, sha256(data), { signal: options.signal });
  return encodeEnvelope({ data, signature: signature.bytes });
}

/**
 * Decodes and verifies an attestation: signed by `identity`'s current primary key, about
 * `identity`, for `purpose`, valid at `now` (seconds) within `maxDriftSeconds`.
 * Throws IdentityVerificationError with the reason.
 */
export function verifyPurposeKeyAttestation(
  attestation: Uint8Array,
  identity: Identity,
  purpose: KeyPurpose,
  now: number,
  options: { maxDriftSeconds?: number } = {},
): PurposeKeyAttestation {
  assertSeconds(now, 'now');
  const drift = options.maxDriftSeconds ?? DEFAULT_MAX_DRIFT_SECONDS;
  const fail = (reason: IdentityFailureReason, why: string): never => {
    throw new IdentityVerificationError(reason, `purpose-key attestation: ${why}`);
  };
  if (!(attestation instanceof Uint8Array) || attestation.length > MAX_SIGNED_STRUCTURE_BYTES) return fail('malformed', 'not bytes or too large');
  const key = identity.currentPublicKey;
  const cacheKey = attestation.length <= VERIFIED_MAX_BYTES ? key.type + latin1(key.bytes) + latin1(attestation) : undefined;
  let decoded = cacheKey === undefined ? undefined : verifiedAttestations.get(cacheKey);
  if (decoded === undefined) {
    const outer = decodeCanonical(attestation, 'identity', 'attestation');
    if (typeof outer === 'string') return fail('malformed', outer);
    const envelope = envelopeFrom(outer, false);
    if (typeof envelope === 'string') return fail('malformed', envelope);
    const data = decodeAttestationData(envelope.data);
    if (typeof data === 'string') return fail('malformed', data);
    if (!verifySignature(key, sha256(envelope.data), { type: key.type, bytes: envelope.signature })) {
      return fail('bad-signature', `not signed by the current primary key of ${identity.identifier}`);
    }
    decoded = Object.freeze({ ...data, publicKey: Object.freeze({ ...data.publicKey }) });
    if (cacheKey !== undefined) verifiedAttestations.set(cacheKey, decoded);
  }
  if (decoded.subject !== identity.identifier) return fail('wrong-subject', `about ${decoded.subject}, not ${identity.identifier}`);
  if (decoded.purpose !== purpose) return fail('wrong-purpose', `for ${decoded.purpose}, not ${purpose}`);
  if (now + drift < decoded.createdAt) return fail('not-yet-valid', `not valid before ${decoded.createdAt} (now ${now})`);
  if (now >= decoded.expiresAt + drift) return fail('expired', `expired at ${decoded.expiresAt} (now ${now})`);
  return decoded;
}

/**
 * Verifies a secure-channel attestation and that the attested X25519 key equals
 * `staticKey` (the peer's Noise static key); `key-mismatch` otherwise.
 */
export function verifySecureChannelAttestation(
  attestation: Uint8Array,
  identity: Identity,
  staticKey: Uint8Array,
  now: number,
  options: { maxDriftSeconds?: number } = {},
): PurposeKeyAttestation {
  const verified = verifyPurposeKeyAttestation(attestation, identity, 'secure-channel', now, options);
  const key = verified.publicKey.bytes;
  if (!(staticKey instanceof Uint8Array) || key.length !== staticKey.length || !key.every((b, i) => b === staticKey[i])) {
    throw new IdentityVerificationError('key-mismatch', 'purpose-key attestation: the attested X25519 key is not the peer static key');
  }
  return verified;
}

function decodeAttestationData(bytes: Uint8Array): PurposeKeyAttestation | string {
  const value = decodeCanonical(bytes, 'identity', 'attestation data');
  if (typeof value === 'string') return value;
  const fields = ['kind', 'version', 'subject', 'purpose', 'publicKey', 'createdAt', 'expiresAt'];
  const shape = checkShape(value, fields, fields);
  if (shape) return shape;
  const v = value as Record<string, unknown>;
  if (v.kind !== 'purpose-key-attestation') return 'not a purpose-key attestation';
  if (v.version !== ATTESTATION_VERSION) return `unsupported version ${String(v.version)}`;
  if (typeof v.subject !== 'string') return 'subject is not a string';
  if (v.purpose !== 'secure-channel' && v.purpose !== 'credential-signing') return `unknown purpose ${String(v.purpose)}`;
  const publicKey = purposeKeyFrom(v.publicKey);
  if (typeof publicKey === 'string') return publicKey;
  const reason = checkPurposeKey(v.purpose, publicKey);
  if (reason) return reason;
  if (!isSeconds(v.createdAt) || !isSeconds(v.expiresAt)) return 'timestamps must be whole seconds';
  if (v.expiresAt <= v.createdAt) return 'expiresAt is not after createdAt';
  return { version: v.version, subject: v.subject, purpose: v.purpose, publicKey, createdAt: v.createdAt, expiresAt: v.expiresAt };
}

function purposeKeyFrom(value: unknown): PurposePublicKey | string {
  const v = value as { type?: unknown; bytes?: unknown } | null;
  if (v && typeof v === 'object' && v.type === 'x25519') {
    const shape = checkShape(value, ['type', 'bytes'], ['type', 'bytes']);
    if (shape) return `public key: ${shape}`;
    return v.bytes instanceof Uint8Array ? { type: 'x25519', bytes: v.bytes } : 'public key bytes missing';
  }
  return publicKeyFrom(value);
}

function checkPurposeKey(purpose: KeyPurpose, key: PurposePublicKey): string | undefined {
  if (!key || !(key.bytes instanceof Uint8Array)) return 'public key required';
  if (purpose === 'secure-channel') {
    if (key.type !== 'x25519' || key.bytes.length !== 32) return 'a secure-channel key must be a 32-byte X25519 key';
    return undefined;
  }
  if (purpose !== 'credential-signing') return `unknown purpose ${String(purpose)}`;
  if (key.type !== 'ed25519' && key.type !== 'p256') return 'a credential-signing key must be ed25519 or p256';
  if (key.bytes.length !== PUBLIC_KEY_LENGTH[key.type]) return `${key.type} public key has the wrong length`;
  return undefined;
}
