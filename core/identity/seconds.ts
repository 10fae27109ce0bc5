import { InvalidInputError, type ErrorOrigin } from '../errors.js';

/** The current time in whole seconds since the Unix epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Latest plausible value in seconds; larger values are almost surely milliseconds. */
const MAX_SECONDS = 100_000_000_000;

/**
 * Throws InvalidInputError unless `value` is a non-negative whole number of seconds
 * (catches a millisecond timestamp passed by mistake).
 */
export function assertSeconds(value: unknown, what: string, origin: ErrorOrigin = 'identity'): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value >= MAX_SECONDS) {
    throw new InvalidInputError(origin, `${what} must be whole seconds since the Unix epoch`);
  }
}

/** Throws InvalidInputError unless `ttl` is a positive whole number of seconds. */
export function assertTtl(ttl: unknown, what: string, origin: ErrorOrigin = 'identity'): asserts ttl is number {
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0 || ttl >= MAX_SECONDS) {
    throw new InvalidInputError(origin, `${what} must be a positive whole number of seconds`);
  }
}
