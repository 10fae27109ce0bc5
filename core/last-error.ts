/**
 * The last error of a long-lived part (an inlet, an outlet, a relay registration) and
 * whether it still holds: every error carries its time, and a later success marks it
 * recovered instead of leaving a stale message that looks current.
 */
export interface LastErrorState {
  /** What went wrong last (local detail, for the operator). */
  readonly lastError?: string;
  /** When `lastError` happened (ms since the epoch). */
  readonly lastErrorAt?: number;
  /** When a success first followed `lastError` (ms since the epoch); absent while the error still holds. */
  readonly recoveredAt?: number;
}

/** Keeps a {@link LastErrorState}: `fail` on an error, `succeed` on a success. No I/O. */
export class LastError {
  private message: string | undefined;
  private at: number | undefined;
  private recovered: number | undefined;

  /** Records an error now (it is current until the next success). */
  fail(message: string, now = Date.now()): void {
    this.message = message;
    this.at = now;
    this.recovered = undefined;
  }

  /** Records a success: a current error becomes old (recovered now). Cheap when nothing failed. */
  succeed(now = Date.now()): void {
    if (this.message !== undefined && this.recovered === undefined) this.recovered = now;
  }

  /** The error text while it is current, else undefined. */
  get current(): string | undefined {
    return this.recovered === undefined ? this.message : undefined;
  }

  /** The state to merge into a status object (empty when nothing ever failed). */
  state(): LastErrorState {
    if (this.message === undefined) return {};
    return { lastError: this.message, lastErrorAt: this.at!, ...(this.recovered === undefined ? {} : { recoveredAt: this.recovered }) };
  }
}
