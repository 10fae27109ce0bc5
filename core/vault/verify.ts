import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { InvalidInputError } from '../errors.js';
import type { PublicKey, Signature, SigningKeyType } from './keys.js';
import { LruCache } from './lru-cache.js';

/** Length of the digest every signature covers (SHA-256). */
export const DIGEST_LENGTH = 32;
/** Raw public key length per key type: Ed25519 32 bytes, P-256 SEC1 uncompressed 65 bytes. */
export const PUBLIC_KEY_LENGTH: Readonly<Record<SigningKeyType, number>> = { ed25519: 32, p256: 65 };
/** Raw signature length per key type: Ed25519 64 bytes, P-256 r||s 64 bytes. */
export const SIGNATURE_LENGTH: Readonly<Record<SigningKeyType, number>> = { ed25519: 64, p256: 64 };

/** Most (key, digest, signature) triples remembered as verified. */
const VERIFIED_CAPACITY = 4096;
/** Most Ed25519 public KeyObjects kept. */
const KEY_OBJECT_CAPACITY = 1024;

/**
 * Triples that verified, keyed by their exact bytes (type, key, digest, signature;
 * all of fixed length per type, so the concatenation is unambiguous). Verification is
 * a pure function of these bytes, so a hit is the answer a fresh check would give.
 * Only successes are kept: a failure is recomputed each time.
 */
const verified = new LruCache<string, true>(VERIFIED_CAPACITY);
const ed25519Keys = new LruCache<string, KeyObject>(KEY_OBJECT_CAPACITY);

/**
 * Verifies `signature` over a 32-byte SHA-256 `digest` with `publicKey`, in software.
 * Ed25519 is pure Ed25519 with the digest as message (node:crypto). P-256 is ECDSA with
 * the digest as the hashed message `e` (node:crypto only verifies over a message it
 * hashes itself, so this uses @noble/curves with prehash off); high-S is accepted.
 * Successful verifications are remembered (bounded LRU keyed on the exact bytes), so
 * the same signed structure seen again costs a lookup. Never throws: malformed keys,
 * digests or signatures verify as false.
 */
export function verifySignature(publicKey: PublicKey, digest: Uint8Array, signature: Signature): boolean {
  try {
    if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) return false;
    if (publicKey.type !== signature.type) return false;
    if (!(signature.bytes instanceof Uint8Array) || signature.bytes.length !== SIGNATURE_LENGTH[signature.type]) return false;
    if (!(publicKey.bytes instanceof Uint8Array) || publicKey.bytes.length !== PUBLIC_KEY_LENGTH[publicKey.type]) return false;
    const key = publicKey.type + latin1(publicKey.bytes) + latin1(digest) + latin1(signature.bytes);
    if (verified.get(key) === true) return true;
    let ok = false;
    if (publicKey.type === 'ed25519') ok = verifyEd25519Message(publicKey.bytes, digest, signature.bytes);
    else if (publicKey.type === 'p256') {
      ok = p256.verify(signature.bytes, digest, publicKey.bytes, { prehash: false, lowS: false, format: 'compact' });
    }
    if (ok) verified.set(key, true);
    return ok;
  } catch {
    return false;
  }
}

/**
 * Pure Ed25519 verification of `signature` over an arbitrary `message` (node:crypto).
 * Exposed for known-answer tests; protocol code calls {@link verifySignature}.
 * Never throws.
 */
export function verifyEd25519Message(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    return nodeVerify(null, message, ed25519KeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** A node:crypto public KeyObject for a raw public key; throws InvalidInputError on a bad key. */
export function publicKeyObject(publicKey: PublicKey): KeyObject {
  try {
    if (publicKey.bytes.length !== PUBLIC_KEY_LENGTH[publicKey.type]) throw new Error('wrong length');
    if (publicKey.type === 'ed25519') return ed25519KeyObject(publicKey.bytes);
    const b = publicKey.bytes;
    if (b[0] !== 0x04) throw new Error('not an uncompressed point');
    return createPublicKey({
      key: { kty: 'EC', crv: 'P-256', x: b64url(b.subarray(1, 33)), y: b64url(b.subarray(33, 65)) },
      format: 'jwk',
    });
  } catch (cause) {
    throw new InvalidInputError('vault', `invalid ${publicKey.type} public key`, { cause });
  }
}

/** SubjectPublicKeyInfo DER of a raw public key. Throws InvalidInputError on a bad key. */
export function rawPublicKeyToSpki(publicKey: PublicKey): Uint8Array {
  return new Uint8Array(publicKeyObject(publicKey).export({ format: 'der', type: 'spki' }));
}

/**
 * Raw public key (Ed25519 32 bytes, P-256 65-byte uncompressed point) from a
 * SubjectPublicKeyInfo DER, as AWS KMS and Azure return them. Rejects other algorithms
 * or curves, and a type different from `expected` when given.
 */
export function spkiToRawPublicKey(spki: Uint8Array, expected?: SigningKeyType): PublicKey {
  let jwk: { kty?: string; crv?: string; x?: string; y?: string };
  try {
    jwk = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'jwk' });
  } catch (cause) {
    throw new InvalidInputError('vault', 'malformed SubjectPublicKeyInfo', { cause });
  }
  let key: PublicKey;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && jwk.x) {
    key = { type: 'ed25519', bytes: fromB64url(jwk.x) };
  } else if (jwk.kty === 'EC' && jwk.crv === 'P-256' && jwk.x && jwk.y) {
    key = { type: 'p256', bytes: concat([Uint8Array.of(0x04), fromB64url(jwk.x), fromB64url(jwk.y)]) };
  } else {
    throw new InvalidInputError('vault', `unsupported public key algorithm ${jwk.kty ?? '?'}/${jwk.crv ?? '?'}`);
  }
  if (key.bytes.length !== PUBLIC_KEY_LENGTH[key.type]) throw new InvalidInputError('vault', 'public key coordinates have the wrong length');
  if (expected !== undefined && key.type !== expected) {
    throw new InvalidInputError('vault', `expected a ${expected} public key, got ${key.type}`);
  }
  return key;
}

/** Converts a DER ECDSA P-256 signature (SEQUENCE of two INTEGERs) to raw 64-byte r||s. */
export function p256SignatureDerToRaw(der: Uint8Array): Uint8Array {
  try {
    return p256.Signature.fromBytes(der, 'der').toBytes('compact');
  } catch (cause) {
    throw new InvalidInputError('vault', 'malformed DER ECDSA signature', { cause });
  }
}

/** Converts a raw 64-byte r||s P-256 signature to DER (SEQUENCE of two INTEGERs). */
export function p256SignatureRawToDer(raw: Uint8Array): Uint8Array {
  if (!(raw instanceof Uint8Array) || raw.length !== 64) throw new InvalidInputError('vault', 'raw P-256 signature must be 64 bytes');
  try {
    return p256.Signature.fromBytes(raw, 'compact').toBytes('der');
  } catch (cause) {
    throw new InvalidInputError('vault', 'invalid raw ECDSA signature', { cause });
  }
}

/** The public KeyObject of a raw Ed25519 key, built once per key (bounded LRU). */
function ed25519KeyObject(raw: Uint8Array): KeyObject {
  const x = b64url(raw);
  let key = ed25519Keys.get(x);
  if (key === undefined) {
    key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
    ed25519Keys.set(x, key);
  }
  return key;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function fromB64url(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'base64url'));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
