import { InvalidInputError } from '../errors.js';

/**
 * Identifier = `I` + the first 32 hex characters (128 bits) of SHA-256 over the encoded
 * data of an identity's first change. It never changes on rotation.
 */
export const IDENTIFIER_PATTERN = /^I[0-9a-f]{32}$/;

/** The identifier for the hash of a first change. */
export function identifierFromHash(firstChangeHash: Uint8Array): string {
  return `I${Buffer.from(firstChangeHash.subarray(0, 16)).toString('hex')}`;
}

/** True when `value` is a well-formed identifier. */
export function isIdentifier(value: unknown): value is string {
  return typeof value === 'string' && IDENTIFIER_PATTERN.test(value);
}

/** Throws InvalidInputError unless `value` is a well-formed identifier. */
export function assertIdentifier(value: unknown, what = 'identifier'): asserts value is string {
  if (!isIdentifier(value)) throw new InvalidInputError('identity', `${what} must be I followed by 32 lowercase hex characters`);
}
