/**
 * Where a relay lives when several project nodes (replicas) serve one project: the
 * replica holding relay NAME and the route other replicas reach it at.
 */
export interface RelayLocation {
  /** The holding replica's id. */
  readonly replica: string;
  /** Route text of the holding replica's listener, e.g. `/ip4/10.0.0.2/tcp/4000`. */
  readonly route: string;
}

/** The outcome of {@link RelayDirectory.claim}. */
export type RelayClaim =
  | { readonly claimed: true }
  /** Another replica holds a live lease for another owner; `holder` is that owner's identifier. */
  | { readonly claimed: false; readonly holder?: string };

/**
 * The relay directory shared by a project's replicas: who holds each relay name. A name
 * is claimed with a lease by one conditional write (exactly one replica wins under
 * races); the holder renews all its leases at once on a short period; a lease not renewed
 * expires, and the name is free again. The owner (the registering member) may move its
 * relay from one replica to another at once (it reconnected elsewhere).
 *
 * Implementations keep a cache of lookups that change notifications invalidate; the
 * relay service calls {@link claim} before it accepts a registration, {@link release} when
 * a relay goes, and {@link lookup} for a `forward_to_NAME` it does not hold.
 */
export interface RelayDirectory {
  /** This replica's id. */
  readonly replica: string;
  /** Claims `name` for `owner` (undefined: an unauthenticated registrant) at this replica. */
  claim(name: string, owner: string | undefined, options?: { signal?: AbortSignal }): Promise<RelayClaim>;
  /** Gives up this replica's lease on `name`, if it holds one. */
  release(name: string, options?: { signal?: AbortSignal }): Promise<void>;
  /** The live holder of `name`, undefined when nobody holds it. */
  lookup(name: string, options?: { signal?: AbortSignal }): Promise<RelayLocation | undefined>;
  /**
   * Calls `listener` with a name whose holder changed (claimed, moved, released, or lost by
   * this replica because its lease expired). Returns an unsubscribe function.
   */
  onChange(listener: (name: string, location: RelayLocation | undefined) => void): () => void;
}
