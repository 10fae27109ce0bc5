import { decode, encode, rfc8949EncodeOptions } from 'cborg';
import { createHash } from 'node:crypto';
import { InvalidInputError, type ErrorOrigin } from './errors.js';

/**
 * Deterministic CBOR (RFC 8949 section 4.2: shortest forms, definite lengths, map keys
 * sorted bytewise). Every signed structure is encoded with this, so the same value
 * always yields the same bytes whatever the key order in memory.
 */
export function encodeDeterministic(value: unknown): Uint8Array {
  return encode(value, rfc8949EncodeOptions);
}

/** Strict decode: rejects duplicate map keys, indefinite lengths and non-canonical forms. */
export function decodeStrict<T = unknown>(bytes: Uint8Array, origin: ErrorOrigin = 'identity', what = 'CBOR data'): T {
  try {
    return decode(bytes, {
      strict: true,
      rejectDuplicateMapKeys: true,
      allowIndefinite: false,
      allowUndefined: false,
      useMaps: false,
    }) as T;
  } catch (cause) {
    throw new InvalidInputError(origin, `malformed ${what}: ${(cause as Error).message}`, { cause });
  }
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** SHA-256 of the deterministic CBOR encoding of `value`: what signatures cover. */
export function digestOf(value: unknown): Uint8Array {
  return sha256(encodeDeterministic(value));
}
