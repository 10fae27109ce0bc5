import { decodeStrict, encodeDeterministic } from '../cbor.js';
import type { ErrorOrigin } from '../errors.js';
import { LruCache } from '../vault/lru-cache.js';

/** Envelope of every signed structure: the CBOR-encoded data and signature(s) over SHA-256(data). */
export interface SignedEnvelope {
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
  /** Only on an identity rotation: the previous primary key's signature. */
  readonly previousSignature?: Uint8Array;
}

/** Largest encoded signed structure accepted (bytes), checked before decoding. */
export const MAX_SIGNED_STRUCTURE_BYTES = 16 * 1024;

/** Encodes an envelope (deterministic CBOR map). */
export function encodeEnvelope(envelope: SignedEnvelope): Uint8Array {
  const value: Record<string, Uint8Array> = { data: envelope.data, signature: envelope.signature };
  if (envelope.previousSignature) value.previousSignature = envelope.previousSignature;
  return encodeDeterministic(value);
}

/** Checks an already-decoded value is an envelope; returns a reason string when it is not. */
export function envelopeFrom(value: unknown, allowPrevious: boolean): SignedEnvelope | string {
  const keys = allowPrevious ? ['data', 'signature', 'previousSignature'] : ['data', 'signature'];
  const shape = checkShape(value, ['data', 'signature'], keys);
  if (shape) return shape;
  const v = value as Record<string, unknown>;
  for (const k of Object.keys(v)) if (!(v[k] instanceof Uint8Array)) return `${k} is not bytes`;
  return v as unknown as SignedEnvelope;
}

/** Most decoded structures remembered by {@link decodeCanonical}. */
const DECODED_CAPACITY = 1024;
/** Largest input whose decoded form is remembered (bigger ones are decoded each time). */
const DECODED_MAX_BYTES = 4096;
const decoded = new LruCache<string, unknown>(DECODED_CAPACITY);

/**
 * Decodes a CBOR item that must be in canonical deterministic form (re-encoding gives the
 * same bytes). Returns the value or a reason string. Decoding is a pure function of the
 * bytes: successful decodes of small inputs are remembered (bounded LRU keyed by the
 * exact bytes) and returned deep-frozen, so the same peer's change history,
 * attestation and credential are not re-parsed on every handshake. Every semantic check
 * (signatures, validity windows, trust) stays with the callers and runs each time.
 */
export function decodeCanonical(bytes: Uint8Array, origin: ErrorOrigin, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) return `${what} is not bytes`;
  if (bytes.length > MAX_SIGNED_STRUCTURE_BYTES * 8) return `${what} is too large`;
  const key = bytes.length <= DECODED_MAX_BYTES ? latin1(bytes) : undefined;
  if (key !== undefined) {
    const hit = decoded.get(key);
    if (hit !== undefined) return hit;
  }
  let value: unknown;
  try {
    value = decodeStrict(bytes, origin, what);
  } catch (error) {
    return (error as Error).message;
  }
  const again = encodeDeterministic(value);
  if (!Buffer.from(again.buffer, again.byteOffset, again.byteLength).equals(bytes)) return `${what} is not in deterministic CBOR form`;
  if (key !== undefined) decoded.set(key, deepFreeze(value));
  return value;
}

/** The bytes as a latin1 string: an exact, cheap map key for small inputs. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Freezes plain objects and arrays recursively (byte strings cannot be frozen; callers only read them). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
}

/** Returns a reason when `value` is not a plain map with all `required` keys and only `allowed` keys. */
export function checkShape(value: unknown, required: readonly string[], allowed: readonly string[]): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) return 'not a map';
  const keys = Object.keys(value);
  for (const k of required) if (!keys.includes(k)) return `missing field ${k}`;
  for (const k of keys) if (!allowed.includes(k)) return `unexpected field ${k}`;
  return undefined;
}

/** True when both byte arrays are equal. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
