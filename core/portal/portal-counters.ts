/**
 * Counters an inlet or outlet keeps across its sessions. Plain numbers, updated on the
 * hot path without allocation; read them through the owner's `status()`.
 */
export interface PortalCounters {
  /** Sessions opened since start (handshake completed). */
  sessionsOpened: number;
  /** Sessions that failed to open or were refused. */
  sessionsFailed: number;
  /** Bytes received from the peer and written to local sockets. */
  bytesIn: number;
  /** Bytes read from local sockets and sent to the peer. */
  bytesOut: number;
  /** Portal messages that did not decode (dropped). */
  malformed: number;
  /** Well-formed messages that made no sense in the session's state (dropped). */
  unexpected: number;
}

/** Fresh zeroed counters. */
export function newPortalCounters(): PortalCounters {
  return { sessionsOpened: 0, sessionsFailed: 0, bytesIn: 0, bytesOut: 0, malformed: 0, unexpected: 0 };
}
