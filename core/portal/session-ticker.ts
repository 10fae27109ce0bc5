import type { PipeTimeouts } from './portal-pipe.js';

/** A session the ticker checks. */
export interface TickedSession {
  tick(now: number): void;
}

/**
 * One timer for all sessions of an inlet or outlet: every tick (about a second, finer for
 * short timeouts) each live session checks its liveness and idle rules. Sessions keep no
 * timer of their own and the data path never reads the clock.
 */
export class SessionTicker {
  private timer: NodeJS.Timeout | undefined;
  readonly periodMs: number;

  constructor(
    timeouts: PipeTimeouts,
    private readonly sessions: () => Iterable<TickedSession>,
  ) {
    const shortest = Math.min(timeouts.livenessTimeoutMs, timeouts.idleTimeoutMs > 0 ? timeouts.idleTimeoutMs : Infinity);
    this.periodMs = Math.max(20, Math.min(1_000, Math.floor(shortest / 6)));
  }

  /** Starts ticking (idempotent); the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(this.tick, this.periodMs);
    this.timer.unref();
  }

  /** Stops ticking. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private readonly tick = (): void => {
    const now = Date.now();
    for (const session of this.sessions()) session.tick(now);
  };
}
