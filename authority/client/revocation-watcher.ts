import { silentLogger, type Logger } from '../../core/logger.js';
import type { SignedRevocationList } from '../revocation-list.js';
import { isAuthorityRefusal } from './authority-client.js';

/** Options of {@link RevocationWatcher}. */
export interface RevocationWatcherOptions {
  /** Fetches the authority's signed list, usually `AuthorityClient.fetchRevocationList`. */
  readonly fetchList: (options: { signal?: AbortSignal }) => Promise<SignedRevocationList>;
  /** Verifies and applies a list (a throw is logged; the next fetch comes on schedule). */
  readonly onList: (list: SignedRevocationList) => void | Promise<void>;
  /** Time between two fetches (default 3 s): with it, a revocation reaches this node within about that long. */
  readonly intervalMs?: number;
  /**
   * Time between fetches once the authority said this identity is not a member (default 5
   * min), also when later fetches get no answer at all (a project node answers only
   * members and the identities it revoked). A suspended member keeps the usual interval, so
   * it applies revocations again within seconds of being resumed.
   */
  readonly refusedIntervalMs?: number;
  /** Called when the authority refuses because this identity is not a member (each time it says so). */
  readonly onNotMember?: (error: unknown) => void;
  readonly logger?: Logger;
}

/**
 * Fetches a project authority's revocation list every few seconds over the node's project
 * channel and hands each to `onList`, so removals and suspensions reach this node within
 * seconds. One fetch at a time; failures are logged once per kind and retried at the next
 * interval (slower once the authority said "not a member", until a list arrives again).
 */
export class RevocationWatcher {
  private readonly intervalMs: number;
  private readonly refusedIntervalMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private lastError: string | undefined;
  private fetchedAt: number | undefined;
  /** Set by a "not a member" refusal, cleared by the next list. */
  private notMember = false;

  constructor(private readonly options: RevocationWatcherOptions) {
    this.intervalMs = Math.max(100, options.intervalMs ?? 3000);
    this.refusedIntervalMs = Math.max(this.intervalMs, options.refusedIntervalMs ?? 300_000);
    this.logger = options.logger ?? silentLogger;
  }

  /** When the last list was applied (ms), if ever. */
  get lastAppliedAt(): number | undefined {
    return this.fetchedAt;
  }

  /** Fetches now, then every interval. */
  start(): void {
    if (this.abort !== undefined) return;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /** Cancels the timer, aborts a running fetch and waits for it to end. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    this.abort = undefined;
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.abort === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().finally(() => { this.running = undefined; });
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const signal = this.abort?.signal;
    if (signal === undefined) return;
    let next = this.intervalMs;
    try {
      const list = await this.options.fetchList({ signal });
      if (signal.aborted) return;
      await this.options.onList(list);
      this.fetchedAt = Date.now();
      this.notMember = false;
      if (this.lastError !== undefined) this.logger.info({}, 'revocation list fetched again');
      this.lastError = undefined;
    } catch (error) {
      if (signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      if (isAuthorityRefusal(error) && /refused: not a member/.test(message)) {
        this.notMember = true;
        this.options.onNotMember?.(error);
      }
      if (this.notMember) next = this.refusedIntervalMs;
      if (message !== this.lastError) this.logger.warn({ err: message, retryInMs: next }, 'revocation list fetch failed');
      this.lastError = message;
    }
    this.schedule(next);
  }
}
