/**
 * What `symbolon status --json` prints: one view of a home. Times are ISO 8601; counters
 * are since the node started. Documented in docs/operations.md ("status").
 */
export interface HomeStatus {
  readonly home: string;
  /** When this view was taken. */
  readonly at: string;
  /** The home's default identity, or null when none exists yet. */
  readonly identity: { readonly name: string; readonly identifier: string; readonly vault: string } | null;
  readonly defaultNode: string | null;
  readonly defaultProject: string | null;
  readonly projects: readonly ProjectStatus[];
  readonly nodes: readonly NodeStatus[];
  /** How many of `nodes` run. */
  readonly running: number;
}

/** A project this home belongs to. */
export interface ProjectStatus {
  readonly name: string;
  readonly role: string | null;
  /** This home's node in the project. */
  readonly node: string | null;
  /** The credential held, or null when none. */
  readonly credential: { readonly expiresAt: string | null; readonly expired: boolean } | null;
  /** When this home runs the project node: its relays and members (null while it is stopped). */
  readonly projectNode: { readonly node: string; readonly running: boolean; readonly relays: readonly string[] | null; readonly members: number | null } | null;
}

/** A node of the home. */
export interface NodeStatus {
  readonly name: string;
  readonly isDefault: boolean;
  /** `running`; `stopped` (cleanly, or never started); `crashed` (ended without stopping). */
  readonly status: 'running' | 'stopped' | 'crashed';
  readonly pid: number | null;
  /** The actual listener when running, the configured one otherwise. */
  readonly listener: string;
  readonly startedAt: string | null;
  readonly uptimeSeconds: number | null;
  /** The node's identity identifier (running nodes). */
  readonly identifier: string | null;
  /** How it last ended (not running), when known. */
  readonly exit: { readonly kind: 'stopped' | 'failed' | 'crashed'; readonly at: string | null; readonly reason: string } | null;
  /** Set when the node runs but did not answer. */
  readonly error?: string;
  readonly inlets: readonly InletStatus[];
  readonly outlets: readonly OutletStatus[];
  readonly relays: readonly RelayStatus[];
}

/**
 * A last error and when it happened. `current` is false once a later success followed it
 * (`recoveredAt` says when): an old error is kept for the record, not as the present state.
 */
export interface LastError {
  readonly message: string;
  readonly at: string | null;
  readonly current: boolean;
  readonly recoveredAt: string | null;
}

/** Session and byte counters of a portal end. */
export interface PortalTraffic {
  /** Sessions open now. */
  readonly sessions: number;
  readonly sessionsOpened: number;
  readonly sessionsFailed: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/**
 * Health of an inlet: `ok` (the last session opened), `idle` (no session yet), `failing`
 * (the last session failed: see lastError), `error` (it could not start), `stopped` (its node is not running).
 */
export type InletHealth = 'ok' | 'idle' | 'failing' | 'error' | 'stopped';

/** A TCP inlet. */
export interface InletStatus extends Partial<PortalTraffic> {
  readonly name: string;
  readonly via?: string;
  readonly to?: string;
  readonly outlet: string;
  /** `relay` or `direct`: the path of the end-to-end channel (inlets with `--via`, running). */
  readonly path?: string;
  readonly health: InletHealth;
  readonly lastError: LastError | null;
}

/** Health of an outlet: `ok` (running), `stopped` (its node is not running). */
export type OutletHealth = 'ok' | 'stopped';

/** A TCP outlet. */
export interface OutletStatus extends Partial<PortalTraffic> {
  readonly address: string;
  readonly target: string;
  readonly health: OutletHealth;
  /** Sessions refused because their peer held its session cap. */
  readonly refused?: number;
  /** Refused pings by reason: `policy` (its access control), `unreachable` (target), `capacity` (session caps). */
  readonly refusals?: { readonly policy: number; readonly unreachable: number; readonly capacity: number };
  readonly lastError: LastError | null;
}

/**
 * Health of a relay registration: `registered`; `connecting` (not registered yet or lost:
 * see lastError); `refused` (the project refused it); `held` (another member holds the
 * name); `stopped` (its node is not running).
 */
export type RelayHealth = 'registered' | 'connecting' | 'refused' | 'held' | 'stopped';

/** A relay this node keeps registered. */
export interface RelayStatus {
  readonly name: string;
  readonly project: string | null;
  readonly health: RelayHealth;
  /** When the health last changed. */
  readonly since: string | null;
  readonly lastError: LastError | null;
}
