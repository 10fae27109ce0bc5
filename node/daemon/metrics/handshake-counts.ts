import { SymbolonError, type ErrorKind } from '../../../core/errors.js';

/**
 * Outcomes of the handshakes this node starts (as initiator): completed, and failed by
 * the kind of the failure (`timeout`, `io` for an unreachable or closed route,
 * `not-found` for a relay that does not exist, `unauthorized` for a peer this node does
 * not accept, `invalid` for a handshake that did not verify, ...). Counted once per
 * handshake, never per message.
 */
export class HandshakeCounts {
  /** Handshakes that completed. */
  completed = 0;
  private readonly failures = new Map<ErrorKind | 'other', number>();

  /** Counts the outcome of `opening` (a handshake); returns it unchanged. */
  track<T>(opening: Promise<T>): Promise<T> {
    void opening.then(() => { this.completed++; }, (error: unknown) => { this.failed(error); });
    return opening;
  }

  /** Counts one failed handshake by the kind of `error`; an aborted one (the node stops, a caller gave up) is counted as `aborted`. */
  failed(error: unknown): void {
    const kind = error instanceof SymbolonError ? error.kind : 'other';
    this.failures.set(kind, (this.failures.get(kind) ?? 0) + 1);
  }

  /** Failed handshakes by reason. */
  failedByReason(): ReadonlyMap<string, number> {
    return this.failures;
  }
}
