import { decodeStrict, encodeDeterministic } from '../cbor.js';
import type { ErrorOrigin } from '../errors.js';

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

/**
 * Decodes a CBOR item that must be in canonical deterministic form (re-encoding gives the
 * same bytes). Returns the value or a reason string.
 */
export function decodeCanonical(bytes: Uint8Array, origin: ErrorOrigin, what: string): unknown {
  if (!(bytes instanceof Uint8Array)) return `${what} is not bytes`;
  if (bytes.length > MAX_SIGNED_STRUCTURE_BYTES * 8) return `${what} is too large`;
  let value: unknown;
  try {
    value = decodeStrict(bytes, origin, what);
  } catch (error) {
    return (error as Error).message;
  }
  const again = encodeDeterministic(value);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) return `${what} is not in deterministic CBOR form`;
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
