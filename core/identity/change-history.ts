import { encodeDeterministic } from '../cbor.js';
import type { PublicKey } from '../vault/keys.js';
import { verifySignature } from '../vault/verify.js';
import { changeHash, decodeChangeData, type IdentityChange } from './identity-change.js';
import { IdentityVerificationError } from './identity-error.js';
import { LruCache } from '../vault/lru-cache.js';
import { decodeCanonical, envelopeFrom, bytesEqual, latin1 } from './signed-structure.js';

/** Most changes a history may hold. */
export const MAX_CHANGES = 64;
/** Largest encoded change history accepted (bytes). */
export const MAX_CHANGE_HISTORY_BYTES = 64 * 1024;
/** Default tolerated clock difference, in seconds. */
export const DEFAULT_MAX_DRIFT_SECONDS = 60;

/** Most verified histories remembered, and the largest one remembered (bytes). */
const VERIFIED_CAPACITY = 512;
const VERIFIED_MAX_BYTES = 4096;
/**
 * Histories whose structure, chain and signatures verified, keyed by their exact bytes.
 * Those checks depend on nothing but the bytes; the validity window of the current key
 * depends on `now` and is checked on every call, hit or miss.
 */
const verifiedHistories = new LruCache<string, readonly IdentityChange[]>(VERIFIED_CAPACITY);

/** Encodes a change history: a CBOR array of `{ data, signature, previousSignature? }`. */
export function encodeChangeHistory(changes: readonly IdentityChange[]): Uint8Array {
  return encodeDeterministic(changes.map((c) => {
    const entry: Record<string, Uint8Array> = { data: c.encoded, signature: c.signature };
    if (c.previousSignature) entry.previousSignature = c.previousSignature;
    return entry;
  }));
}

/**
 * Decodes and fully verifies a change history at time `now` (seconds): structure, chain
 * hashes, the new key's signature on every change, the previous key's signature on every
 * rotation, rotation inside the previous key's validity window, and that the last change
 * is valid at `now` (within `maxDriftSeconds`). Throws IdentityVerificationError naming
 * the failing change.
 */
export function verifyChangeHistory(bytes: Uint8Array, now: number, maxDriftSeconds = DEFAULT_MAX_DRIFT_SECONDS): IdentityChange[] {
  const fail = (reason: ConstructorParameters<typeof IdentityVerificationError>[0], why: string, index?: number): never => {
    const where = index === undefined ? 'change history' : `identity change ${index}`;
    throw new IdentityVerificationError(reason, `${where}: ${why}`, index);
  };
  if (!(bytes instanceof Uint8Array)) return fail('malformed', 'not bytes');
  if (bytes.length > MAX_CHANGE_HISTORY_BYTES) return fail('malformed', `larger than ${MAX_CHANGE_HISTORY_BYTES} bytes`);
  const key = bytes.length <= VERIFIED_MAX_BYTES ? latin1(bytes) : undefined;
  const known = key === undefined ? undefined : verifiedHistories.get(key);
  const changes = known ? [...known] : verifyChain(bytes, fail);
  if (key !== undefined && !known) verifiedHistories.set(key, Object.freeze([...changes]));
  const last = changes.length - 1;
  const current = (changes[last] as IdentityChange).data;
  if (now + maxDriftSeconds < current.createdAt) fail('not-yet-valid', `not valid before ${current.createdAt} (now ${now})`, last);
  if (now >= current.expiresAt + maxDriftSeconds) fail('expired', `expired at ${current.expiresAt} (now ${now})`, last);
  return changes;
}

type Fail = (reason: ConstructorParameters<typeof IdentityVerificationError>[0], why: string, index?: number) => never;

/** Everything but the time check of the current key: structure, chain hashes and signatures. */
function verifyChain(bytes: Uint8Array, fail: Fail): IdentityChange[] {
  const list = decodeCanonical(bytes, 'identity', 'change history');
  if (typeof list === 'string') return fail('malformed', list);
  if (!Array.isArray(list) || list.length === 0) return fail('malformed', 'not a non-empty array');
  if (list.length > MAX_CHANGES) return fail('malformed', `more than ${MAX_CHANGES} changes`);
  const changes: IdentityChange[] = [];
  list.forEach((item: unknown, i: number) => {
    const envelope = envelopeFrom(item, true);
    if (typeof envelope === 'string') return fail('malformed', envelope, i);
    const data = decodeChangeData(envelope.data);
    if (typeof data === 'string') return fail('malformed', data, i);
    const hash = changeHash(envelope.data);
    if (!verifyWith(data.primaryPublicKey, hash, envelope.signature)) fail('bad-signature', 'new key signature does not verify', i);
    const previous = changes[i - 1];
    if (!previous) {
      if (data.previousChangeHash || envelope.previousSignature) fail('broken-chain', 'the first change must not name a previous change', i);
    } else {
      if (!data.previousChangeHash || !bytesEqual(data.previousChangeHash, previous.hash)) fail('broken-chain', `previousChangeHash does not match change ${i - 1}`, i);
      if (data.createdAt < previous.data.createdAt) fail('broken-chain', `created before change ${i - 1}`, i);
      if (data.createdAt > previous.data.expiresAt) fail('expired', `rotated after change ${i - 1} expired`, i);
      if (!envelope.previousSignature) fail('bad-previous-signature', 'rotation lacks the previous key signature', i);
      if (!verifyWith(previous.data.primaryPublicKey, hash, envelope.previousSignature)) fail('bad-previous-signature', 'previous key signature does not verify', i);
    }
    changes.push(Object.freeze({
      data: Object.freeze({ ...data, primaryPublicKey: Object.freeze(data.primaryPublicKey) }), encoded: envelope.data, hash, signature: envelope.signature,
      ...(envelope.previousSignature ? { previousSignature: envelope.previousSignature } : {}),
    }));
  });
  return changes;
}

function verifyWith(key: PublicKey, digest: Uint8Array, signature: Uint8Array | undefined): boolean {
  return signature !== undefined && verifySignature(key, digest, { type: key.type, bytes: signature });
}
