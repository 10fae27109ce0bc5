/** One replica of a project as `project replica list` shows it (times ISO 8601). */
export interface ReplicaView {
  readonly id: string;
  readonly route: string;
  readonly identifier: string;
  /** `healthy` when its heartbeat is recent, else `unreachable`. */
  readonly health: 'healthy' | 'unreachable';
  readonly startedAt: string;
  readonly heartbeatAt: string;
  /** Relays it holds (live leases in the relay directory). */
  readonly relays: number;
  /** Members with a secure channel to it at its last heartbeat. */
  readonly members: number;
  /** True for the replica that answered. */
  readonly self: boolean;
}

/** `project.replicas`: every replica registered in the project's database. */
export interface ReplicaList {
  readonly project: string;
  readonly replicas: readonly ReplicaView[];
}
