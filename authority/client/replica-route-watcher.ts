import { silentLogger, type Logger } from '../../core/logger.js';

/** Default time between two fetches of a project's replica routes, in ms. */
export const REPLICA_ROUTES_REFRESH_MS = 10_000;

/** Options of {@link ReplicaRouteWatcher}. */
export interface ReplicaRouteWatcherOptions {
  /** Fetches the routes, usually `AuthorityClient.fetchReplicaRoutes` over the node's project channel. */
  readonly fetchRoutes: (options: { signal?: AbortSignal }) => Promise<string[]>;
  /** Applies fetched routes (a throw is logged like a failed fetch). */
  readonly onRoutes: (routes: readonly string[]) => void | Promise<void>;
  /** Time between two fetches (default {@link REPLICA_ROUTES_REFRESH_MS}). */
  readonly intervalMs?: number;
  readonly logger?: Logger;
}

/**
 * Keeps a member's knowledge of its project's replicas current: fetches the replica routes
 * at start, every interval, and soon after {@link refreshSoon} (the node connected to a
 * replica), and hands each answer to `onRoutes`. One fetch at a time; a failure is logged
 * once per kind and retried at the next interval.
 */
export class ReplicaRouteWatcher {
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private again = false;
  private lastError: string | undefined;

  constructor(private readonly options: ReplicaRouteWatcherOptions) {
    this.intervalMs = Math.max(100, options.intervalMs ?? REPLICA_ROUTES_REFRESH_MS);
    this.logger = options.logger ?? silentLogger;
  }

  /** Fetches now, then every interval. */
  start(): void {
    if (this.abort !== undefined) return;
    this.abort = new AbortController();
    this.schedule(0);
  }

  /** Fetches as soon as the running fetch (if any) ended, then every interval again. */
  refreshSoon(): void {
    if (this.abort === undefined) return;
    if (this.running !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
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
      this.running = this.tick().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.refreshSoon();
        }
      });
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const signal = this.abort?.signal;
    if (signal === undefined) return;
    try {
      const routes = await this.options.fetchRoutes({ signal });
      if (signal.aborted) return;
      await this.options.onRoutes(routes);
      if (this.lastError !== undefined) this.logger.info({}, 'replica routes fetched again');
      this.lastError = undefined;
    } catch (error) {
      if (signal.aborted) return;
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.lastError) this.logger.warn({ err: message, retryInMs: this.intervalMs }, 'replica routes fetch failed');
      this.lastError = message;
    }
    this.schedule(this.intervalMs);
  }
}
