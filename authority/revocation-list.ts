import { decodeStrict, encodeDeterministic, sha256 } from '../core/cbor.js';
import { InvalidInputError } from '../core/errors.js';
import type { Identity } from '../core/identity/identity.js';
import { verifyPurposeKeyAttestation } from '../core/identity/purpose-key-attestation.js';
import type { PublicKey, Signature, SigningKeyType } from '../core/vault/keys.js';
import { verifySignature } from '../core/vault/verify.js';
import { isSignerKeyId, signerKeyId } from '../core/credential/signer-key.js';
import type { RevocationKind, RevocationRecord } from './authority-store.js';

/** Version of the revocation list format. */
export const REVOCATION_LIST_VERSION = 1;
/** How long a signed list is valid (ms): nodes fetch a new one well before. */
export const REVOCATION_LIST_TTL_MS = 5 * 60_000;
/** Most entries one list carries (a larger list is refused rather than half applied). */
export const MAX_REVOCATION_ENTRIES = 20_000;

/** One revoked identity in a list. */
export interface RevocationEntry {
  readonly identifier: string;
  readonly kind: RevocationKind;
  /** ms since the epoch: credentials created at or before it are refused (all of them while suspended). */
  readonly revokedAt: number;
}

/**
 * How long after its attestation expired a withdrawn key is still listed (ms): members
 * accept attestations up to a minute past expiry (clock drift).
 */
export const WITHDRAWN_SIGNER_GRACE_MS = 120_000;
/** Most withdrawn signing keys one list carries. */
export const MAX_WITHDRAWN_SIGNERS = 1_000;

/** A credential-signing key the authority withdrew: credentials it signed are refused. */
export interface WithdrawnSigner {
  /** `signerKeyId` of the key. */
  readonly key: string;
  /** ms since the epoch. */
  readonly withdrawnAt: number;
}

/** What a revocation list says: the authority's revoked identities and withdrawn signing keys at `issuedAt`. */
export interface RevocationList {
  readonly version: number;
  readonly authority: string;
  /** ms since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly entries: readonly RevocationEntry[];
  /** Withdrawn credential-signing keys whose attestation has not expired yet (older lists: none). */
  readonly withdrawnSigners: readonly WithdrawnSigner[];
}

/** A list as sent: its encoding, the signature by the authority's credential-signing key, and that key's attestation. */
export interface SignedRevocationList {
  readonly list: Uint8Array;
  readonly signature: Signature;
  readonly attestation: Uint8Array;
}

/** Entries of a list from the store's revocations. */
export function revocationEntries(records: readonly RevocationRecord[]): RevocationEntry[] {
  return records.map((r) => ({ identifier: r.identifier, kind: r.kind, revokedAt: r.revokedAt }));
}

/** Encodes a list (deterministic CBOR, `kind: 'revocation-list'`) and the digest its signature covers. */
export function encodeRevocationList(list: RevocationList): { bytes: Uint8Array; digest: Uint8Array } {
  const bytes = encodeDeterministic({
    kind: 'revocation-list', ...list, entries: list.entries.map((e) => ({ ...e })), withdrawnSigners: list.withdrawnSigners.map((w) => ({ ...w })),
  });
  return { bytes, digest: sha256(bytes) };
}

/**
 * Verifies a signed list against `authority` (the project's authority identity): the
 * attestation of its credential-signing key, the signature, the issuer and the validity
 * window (with `maxDriftMs`), and that the list does not name its own signing key as
 * withdrawn. Throws InvalidInputError saying what is wrong.
 */
export function verifyRevocationList(signed: SignedRevocationList, authority: Identity, nowMs: number, maxDriftMs = 60_000): RevocationList {
  const fail = (why: string): never => { throw new InvalidInputError('authority', `revocation list refused: ${why}`); };
  let key: PublicKey;
  try {
    key = verifyPurposeKeyAttestation(signed.attestation, authority, 'credential-signing', Math.floor(nowMs / 1000), { maxDriftSeconds: Math.floor(maxDriftMs / 1000) }).publicKey as PublicKey;
  } catch (error) {
    return fail(`signing key attestation: ${(error as Error).message}`);
  }
  if (!verifySignature(key, sha256(signed.list), signed.signature)) fail('bad signature');
  const value = decodeStrict<Record<string, unknown>>(signed.list, 'authority', 'revocation list');
  if (value === null || typeof value !== 'object' || value.kind !== 'revocation-list') fail('not a revocation list');
  if (value.version !== REVOCATION_LIST_VERSION) fail(`version ${String(value.version)} is not supported`);
  if (value.authority !== authority.identifier) fail(`issued by ${String(value.authority)}, not ${authority.identifier}`);
  const issuedAt = value.issuedAt;
  const expiresAt = value.expiresAt;
  if (!Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt)) fail('times must be integers');
  if ((issuedAt as number) > nowMs + maxDriftMs) fail('issued in the future');
  if (!Array.isArray(value.entries) || value.entries.length > MAX_REVOCATION_ENTRIES) fail('entries must be a list of at most 20000');
  const entries: RevocationEntry[] = [];
  for (const e of value.entries as unknown[]) {
    const entry = e as Record<string, unknown>;
    if (typeof entry?.identifier !== 'string' || (entry.kind !== 'removed' && entry.kind !== 'suspended') || !Number.isSafeInteger(entry.revokedAt)) fail('malformed entry');
    entries.push({ identifier: entry.identifier as string, kind: entry.kind as RevocationKind, revokedAt: entry.revokedAt as number });
  }
  const withdrawn = value.withdrawnSigners ?? [];
  if (!Array.isArray(withdrawn) || withdrawn.length > MAX_WITHDRAWN_SIGNERS) fail(`withdrawnSigners must be a list of at most ${MAX_WITHDRAWN_SIGNERS}`);
  const withdrawnSigners: WithdrawnSigner[] = [];
  for (const w of withdrawn as unknown[]) {
    const item = w as Record<string, unknown>;
    if (!isSignerKeyId(item?.key) || !Number.isSafeInteger(item.withdrawnAt)) fail('malformed withdrawn signer');
    withdrawnSigners.push({ key: item.key as string, withdrawnAt: item.withdrawnAt as number });
  }
  const ownKey = signerKeyId(key);
  if (withdrawnSigners.some((w) => w.key === ownKey)) fail(`signed by the withdrawn key ${ownKey}`);
  return { version: REVOCATION_LIST_VERSION, authority: authority.identifier, issuedAt: issuedAt as number, expiresAt: expiresAt as number, entries, withdrawnSigners };
}

/**
 * True when `entry` revokes a credential created at `createdAtSeconds` (credential times
 * are whole seconds): a suspension revokes every credential, a removal those created at
 * or before it.
 */
export function entryRevokes(entry: RevocationEntry, createdAtSeconds: number): boolean {
  return entry.kind === 'suspended' || createdAtSeconds * 1000 <= entry.revokedAt;
}

/** The wire form of a signed list (as a service result). */
export function signedListToWire(signed: SignedRevocationList): Record<string, unknown> {
  return { list: signed.list, signatureType: signed.signature.type, signature: signed.signature.bytes, attestation: signed.attestation };
}

/** Reads {@link signedListToWire}'s output; throws InvalidInputError when malformed. */
export function signedListFromWire(map: Record<string, unknown>): SignedRevocationList {
  const { list, signatureType, signature, attestation } = map;
  if (!(list instanceof Uint8Array) || !(signature instanceof Uint8Array) || !(attestation instanceof Uint8Array) || (signatureType !== 'ed25519' && signatureType !== 'p256')) {
    throw new InvalidInputError('authority', 'malformed revocation list reply');
  }
  return { list, signature: { type: signatureType as SigningKeyType, bytes: signature }, attestation };
}
