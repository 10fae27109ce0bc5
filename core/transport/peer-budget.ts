/**
 * What hostile peers may make a node hold, per source (remote IP address) and in total:
 * connections, bytes buffered for writing to a peer that does not read, and bytes of
 * frames received in part. A connection past a bound is closed (never silently starved:
 * frames of a healthy connection are not dropped); each refusal is counted.
 * Hot path: integer arithmetic on counters held by the connection; no allocation.
 */

/** Limits of a {@link PeerBudget}; see TcpTransportOptions for the defaults. */
export interface PeerBudgetLimits {
  readonly maxConnectionsPerSource: number;
  readonly maxBufferedBytesPerSource: number;
  readonly maxBufferedBytesTotal: number;
  readonly maxPartialFrameBytesPerSource: number;
  readonly maxPartialFrameBytesTotal: number;
}

/** Counters of a {@link PeerBudget}: current use (bytes, sources) and refusals (only grow). */
export interface PeerBudgetStats {
  /** Bytes now buffered for writing on congested connections. */
  bufferedBytes: number;
  /** Bytes now held in frames received in part. */
  partialFrameBytes: number;
  /** Distinct sources with an open connection now. */
  sources: number;
  /** Incoming connections closed on arrival: their source had maxConnectionsPerSource open. */
  refusedConnections: number;
  /** Connections closed because they (or their source, or the node) held too many buffered bytes. */
  closedForBuffering: number;
  /** Connections closed because their partly received frames went past a budget. */
  closedForPartialFrames: number;
}

/** One source's share: what its connections hold now. */
export class SourceShare {
  connections = 0;
  bufferedBytes = 0;
  partialFrameBytes = 0;
  /** Bytes this source's connections read since they last yielded their turn (see `READ_SLICE_BYTES`). */
  turnBytes = 0;
  /** Resumers of this source's connections that wait for the next turn of the event loop; null when none. */
  yielded: Array<() => void> | null = null;
  constructor(readonly source: string) {}
}

/** The node-wide ledger; one per transport. */
export class PeerBudget {
  readonly stats: PeerBudgetStats = {
    bufferedBytes: 0, partialFrameBytes: 0, sources: 0, refusedConnections: 0, closedForBuffering: 0, closedForPartialFrames: 0,
  };
  private readonly shares = new Map<string, SourceShare>();

  constructor(readonly limits: PeerBudgetLimits) {}

  /** Admits an incoming connection from `source`; undefined (and counted) when the source is at its cap. */
  admit(source: string): SourceShare | undefined {
    let share = this.shares.get(source);
    if (share !== undefined && share.connections >= this.limits.maxConnectionsPerSource) {
      this.stats.refusedConnections++;
      return undefined;
    }
    if (share === undefined) {
      share = new SourceShare(source);
      this.shares.set(source, share);
      this.stats.sources = this.shares.size;
    }
    share.connections++;
    return share;
  }

  /** A share for an outgoing connection (no cap: this node chose to connect). */
  outgoing(source: string): SourceShare {
    let share = this.shares.get(source);
    if (share === undefined) {
      share = new SourceShare(source);
      this.shares.set(source, share);
      this.stats.sources = this.shares.size;
    }
    share.connections++;
    return share;
  }

  /** Releases a connection's share (its counted bytes must be returned first). */
  leave(share: SourceShare): void {
    if (--share.connections <= 0 && this.shares.get(share.source) === share) {
      this.shares.delete(share.source);
      this.stats.sources = this.shares.size;
    }
  }

  /** Moves buffered bytes by `delta`; false when the source or the node is now past its budget. */
  buffered(share: SourceShare, delta: number): boolean {
    share.bufferedBytes += delta;
    this.stats.bufferedBytes += delta;
    return delta <= 0 || (share.bufferedBytes <= this.limits.maxBufferedBytesPerSource && this.stats.bufferedBytes <= this.limits.maxBufferedBytesTotal);
  }

  /** Moves partial-frame bytes by `delta`; false when the source or the node is now past its budget. */
  partial(share: SourceShare, delta: number): boolean {
    share.partialFrameBytes += delta;
    this.stats.partialFrameBytes += delta;
    return delta <= 0 ||
      (share.partialFrameBytes <= this.limits.maxPartialFrameBytesPerSource && this.stats.partialFrameBytes <= this.limits.maxPartialFrameBytesTotal);
  }
}
