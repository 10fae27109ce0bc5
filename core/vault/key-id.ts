import { randomBytes } from 'node:crypto';
import { AbortedError, InvalidInputError, NotFoundError } from '../errors.js';
import type { KeyHandle } from './keys.js';
import type { X25519Handle } from './secure-channel-vault.js';

/** Key ids software vaults issue: 32 lowercase hex characters (128 random bits). */
export const KEY_ID_PATTERN = /^[0-9a-f]{32}$/;

/** A fresh random key id matching {@link KEY_ID_PATTERN}. */
export function newKeyId(): string {
  return randomBytes(16).toString('hex');
}

/** Throws InvalidInputError unless `id` matches {@link KEY_ID_PATTERN}; ids become file names. */
export function assertKeyId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || !KEY_ID_PATTERN.test(id)) throw new InvalidInputError('vault', 'key id must be 32 lowercase hex characters');
}

/** Throws AbortedError when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError('vault', 'vault operation aborted', { cause: signal.reason });
}

/**
 * Checks that `handle` names vault `vaultName` and has a well-formed id; a handle of
 * another vault is reported as not found here.
 */
export function checkHandle(handle: KeyHandle | X25519Handle, vaultName: string): void {
  if (handle === null || typeof handle !== 'object') throw new InvalidInputError('vault', 'key handle required');
  if (handle.vault !== vaultName) throw new NotFoundError('vault', `key ${String(handle.id)} is not in vault ${vaultName}`);
  assertKeyId(handle.id);
}
