import { InvalidInputError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import { credentialRefreshAt } from '../credential-lifetime.js';
import { isAuthorityRefusal } from './authority-client.js';
import type { FetchedCredential } from '../services/wire-records.js';

/** Options of {@link CredentialRefresher}. */
export interface CredentialRefresherOptions {
  /** Fetches a fresh credential, usually `AuthorityClient.fetchCredential`. */
  readonly fetchCredential: (options: { signal?: AbortSignal }) => Promise<FetchedCredential>;
  /** Called with each new credential (the secure channel layer pushes it to open channels). */
  readonly onCredential: (credential: FetchedCredential) => void | Promise<void>;
  /** The credential the node holds now; without one, the first fetch happens at start. */
  readonly current?: FetchedCredential;
  /** First retry delay after a failure (default 1 s); doubles on each failure in a row. */
  readonly retryInitialMs?: number;
  /** Longest retry delay after a failure to reach the authority (default 60 s). */
  readonly retryMaxMs?: number;
  /** Longest retry delay after the authority refused (default 1 h): a refusal does not go away in seconds. */
  readonly refusalRetryMaxMs?: number;
  /**
   * Called once when the authority answers that this identity is not a member: the
   * refresher then stops (asking again would only be refused again, and audited).
   */
  readonly onNotMember?: (error: unknown) => void;
  /** Fraction of each retry delay added or removed at random, 0..1 (default 0.2). */
  readonly jitter?: number;
  /** Shortest wait between two successful fetches (default 5 s), against very short lifetimes. */
  readonly minIntervalMs?: number;
  /** Milliseconds since the epoch (default `Date.now`). */
  readonly clock?: () => number;
  readonly logger?: Logger;
}

/**
 * Keeps a node's own credential fresh: fetches a new one at `credentialRefreshAt` (when
 * 20% of the lifetime remains, never later than 60 s before expiry), hands it to
 * `onCredential`, and on failure retries with exponential backoff (with jitter, capped at
 * `retryMaxMs`) until a fetch succeeds or `stop()` is called. "Not a member" stops it (the
 * member was removed: `onNotMember`, state `not-a-member`); another refusal (suspended, ...)
 * is retried with a backoff capped at `refusalRetryMaxMs`. Each failure is logged once.
 */
export class CredentialRefresher {
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly jitter: number;
  private readonly minIntervalMs: number;
  private credential: FetchedCredential | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private failures = 0;
  private lastFetchAt = Number.NEGATIVE_INFINITY;
  private started = false;
  private due: number | undefined;
  private readonly refusalRetryMaxMs: number;
  private stateValue: 'idle' | 'running' | 'not-a-member' | 'stopped' = 'idle';
  private lastError: string | undefined;

  constructor(private readonly options: CredentialRefresherOptions) {
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.retryInitialMs = options.retryInitialMs ?? 1000;
    this.retryMaxMs = options.retryMaxMs ?? 60_000;
    this.jitter = options.jitter ?? 0.2;
    this.minIntervalMs = options.minIntervalMs ?? 5000;
    this.refusalRetryMaxMs = Math.max(this.retryMaxMs, options.refusalRetryMaxMs ?? 3_600_000);
    if (!(this.retryInitialMs > 0 && this.retryMaxMs >= this.retryInitialMs)) throw new InvalidInputError('authority', 'retry delays must be positive, the maximum at least the initial one');
    if (!(this.jitter >= 0 && this.jitter <= 1)) throw new InvalidInputError('authority', 'jitter must be between 0 and 1');
    this.credential = options.current;
  }

  /** The newest credential, if any. */
  get current(): FetchedCredential | undefined {
    return this.credential;
  }

  /** When the next fetch is due (ms since the epoch), or undefined when none is scheduled. */
  get nextFetchAt(): number | undefined {
    return this.due;
  }

  /** `running`, `not-a-member` (stopped by the authority's answer), `stopped` or `idle` (not started). */
  get state(): 'idle' | 'running' | 'not-a-member' | 'stopped' {
    return this.stateValue;
  }

  /** The message of the last failed fetch since the last success, if any. */
  get lastFailure(): string | undefined {
    return this.lastError;
  }

  /** Schedules the first fetch: now without a credential, else at its refresh time. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.stateValue = 'running';
    this.abort = new AbortController();
    this.schedule(this.credential === undefined ? this.clock() : this.refreshTime(this.credential));
  }

  /** Cancels the timer, aborts a running fetch and waits for it to end. */
  async stop(): Promise<void> {
    this.started = false;
    if (this.stateValue === 'running') this.stateValue = 'stopped';
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.due = undefined;
    this.abort?.abort();
    await this.running;
  }

  /**
   * Fetches again as soon as the minimum interval allows: the current credential stopped
   * verifying (its signing key was withdrawn). Nothing happens while stopped or fetching.
   */
  refreshSoon(): void {
    if (!this.started || this.running !== undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(Math.max(this.clock(), this.lastFetchAt + this.minIntervalMs));
  }

  private refreshTime(credential: FetchedCredential): number {
    return Math.max(credentialRefreshAt(credential.createdAt, credential.expiresAt), this.lastFetchAt + this.minIntervalMs);
  }

  private schedule(at: number): void {
    if (!this.started) return;
    this.due = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.fetch().finally(() => (this.running = undefined));
    }, Math.max(0, at - this.clock()));
    this.timer.unref?.();
  }

  private async fetch(): Promise<void> {
    const signal = this.abort?.signal;
    try {
      const credential = await this.options.fetchCredential({ signal });
      if (!this.started) return;
      this.credential = credential;
      this.failures = 0;
      this.lastError = undefined;
      this.lastFetchAt = this.clock();
      try {
        await this.options.onCredential(credential);
      } catch (error) {
        this.logger.error({ err: error }, 'handling a refreshed credential failed');
      }
      this.schedule(this.refreshTime(credential));
    } catch (error) {
      if (!this.started) return;
      const message = error instanceof Error ? error.message : String(error);
      if (isNotMember(error)) {
        this.started = false;
        this.stateValue = 'not-a-member';
        this.lastError = message;
        this.due = undefined;
        this.logger.warn({ err: error, expiresAt: this.credential?.expiresAt }, 'credential refresh refused: not a member of the project any more; refresher stopped');
        try {
          this.options.onNotMember?.(error);
        } catch (listenerError) {
          this.logger.error({ err: listenerError }, 'handling the end of membership failed');
        }
        return;
      }
      const refused = isAuthorityRefusal(error);
      const delay = this.backoff(this.failures++, refused ? this.refusalRetryMaxMs : this.retryMaxMs);
      const repeated = message === this.lastError;
      this.lastError = message;
      const fields = { err: error, retryInMs: delay, failures: this.failures, expiresAt: this.credential?.expiresAt };
      if (repeated) this.logger.debug(fields, 'credential refresh failed again');
      else this.logger.warn(fields, 'credential refresh failed');
      this.schedule(this.clock() + delay);
    }
  }

  private backoff(failures: number, cap: number): number {
    const base = Math.min(cap, this.retryInitialMs * 2 ** Math.min(failures, 30));
    return Math.round(base * (1 + this.jitter * (2 * Math.random() - 1)));
  }
}

/** True when the authority refused because the caller is not (or no longer) a member. */
export function isNotMember(error: unknown): boolean {
  return isAuthorityRefusal(error) && /credential refused: not a member/.test((error as Error).message);
}
