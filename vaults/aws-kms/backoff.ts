import { AbortedError, type ErrorOrigin } from '../../core/errors.js';

/** How a retried call backs off. */
export interface BackoffOptions {
  /** Total attempts, the first included (at least 1). */
  readonly maxAttempts: number;
  /** Upper bound of the first delay, in milliseconds. */
  readonly baseDelayMs: number;
  /** Cap of any single delay, in milliseconds. */
  readonly maxDelayMs: number;
  /** Aborts the waiting between attempts (and is passed on to each attempt). */
  readonly signal?: AbortSignal;
  /** Origin of the AbortedError thrown on abort. */
  readonly origin?: ErrorOrigin;
  /** Source of randomness in [0, 1); defaults to Math.random. */
  readonly random?: () => number;
}

/** Default backoff for remote vault calls: 4 attempts, delays up to 100 ms, 200 ms, 400 ms. */
export const DEFAULT_BACKOFF: Omit<BackoffOptions, 'signal'> = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 2_000 };

/**
 * The delay before retry number `retry` (0-based), with "full jitter": a uniform value
 * in [0, min(maxDelayMs, baseDelayMs * 2^retry)).
 */
export function backoffDelay(retry: number, options: Pick<BackoffOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** retry);
  return Math.floor((options.random ?? Math.random)() * ceiling);
}

/**
 * Runs `attempt` until it succeeds, it throws an error `isRetryable` rejects, or
 * `maxAttempts` are used up (then the last error is thrown). Waits with exponential
 * backoff and full jitter between attempts; an abort ends the wait at once with
 * AbortedError.
 */
export async function retryWithBackoff<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  options: BackoffOptions,
): Promise<T> {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts));
  for (let n = 1; ; n++) {
    if (options.signal?.aborted) throw new AbortedError(options.origin ?? 'vault');
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= maxAttempts || !isRetryable(error)) throw error;
    }
    await sleep(backoffDelay(n - 1, options), options.signal, options.origin ?? 'vault');
  }
}

/** Resolves after `ms`, or rejects with AbortedError when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined, origin: ErrorOrigin): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError(origin));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortedError(origin));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
