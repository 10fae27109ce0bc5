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
  /** Open sessions that ended abnormally (reset), for any reason. */
  sessionsAborted: number;
  /** Sessions aborted because the peer made no progress and did not answer a probe. */
  livenessTimeouts: number;
  /** Sessions aborted after moving no data for the idle timeout. */
  idleTimeouts: number;
  /** Receive windows doubled because the local reader kept up (see docs/portals.md, "Flow control"). */
  windowGrowths: number;
  /** Grown receive windows taken back to the announced one because the local reader stalled. */
  windowShrinks: number;
}

/** Fresh zeroed counters. */
export function newPortalCounters(): PortalCounters {
  return {
    sessionsOpened: 0, sessionsFailed: 0, bytesIn: 0, bytesOut: 0, malformed: 0, unexpected: 0,
    sessionsAborted: 0, livenessTimeouts: 0, idleTimeouts: 0, windowGrowths: 0, windowShrinks: 0,
  };
}
