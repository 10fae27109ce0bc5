import type { DenialCounts } from '../../../policy/denial-log.js';
import type { SecureChannelListenerStats } from '../../../core/channel/secure-channel-listener.js';
import type { TcpInletStatus } from '../../../core/portal/tcp-inlet.js';
import type { TcpOutletStatus } from '../../../core/portal/tcp-outlet.js';
import type { RelayClientStatus } from '../../../core/relay/relay-client.js';
import type { AuthorityCounts } from './authority-counts.js';
import type { HandshakeCounts } from './handshake-counts.js';

/** The node's credential as metrics and readiness see it. */
export interface CredentialState {
  /** True when the node is a member of a project, so it needs a credential to be ready. */
  readonly expected: boolean;
  /** True when it holds a credential that verifies now. */
  readonly valid: boolean;
  /** Expiry of the credential it holds (seconds since the epoch), when known. */
  readonly expiresAt?: number;
}

/** A secure channel listener of the node. */
export interface ListenerSource {
  readonly address: string;
  readonly stats: Readonly<SecureChannelListenerStats>;
  /** False once it stopped accepting handshakes. */
  running(): boolean;
}

/** A project node's authority. */
export interface AuthoritySource {
  readonly counts: Readonly<AuthorityCounts>;
  /** The audit log's newest sequence number (read from the store at scrape time). */
  auditHeadSeq(): Promise<number>;
  /** Relays registered at this node's relay service now. */
  relaysHeld(): number;
  /** Relays held by another replica of the project that this node forwards to now (replicas only). */
  relaysForwarded?(): number;
}

/**
 * What the daemon's services hand to the node's metrics, each read only when the metrics
 * endpoint is scraped or asked for readiness. Every source returns the owner's current
 * state (statuses and counters it keeps anyway); none is called on the data path.
 */
export interface MetricSources {
  readonly inlets: () => Iterable<TcpInletStatus>;
  readonly outlets: () => Iterable<TcpOutletStatus>;
  readonly relays: () => Iterable<RelayClientStatus>;
  readonly listeners: () => Iterable<ListenerSource>;
  readonly authority: AuthoritySource;
}

/** The parts of the node the metrics read directly (the daemon wires them). */
export interface NodeMetricsOptions {
  /** Node name, for the `symbolon_node_info` metric. */
  readonly name: string;
  /** The node's credential now. */
  readonly credential: () => CredentialState;
  /** Denials since the node started (the node's denial log). */
  readonly denials: () => DenialCounts;
  /** Policy decisions by resource type (allowed and denied, and allowed ones an audit-mode policy would have denied). */
  readonly decisions: () => Iterable<readonly [string, { readonly allowed: number; readonly denied: number; readonly wouldDeny?: number }]>;
  /** Outcomes of the handshakes this node started. */
  readonly handshakes: HandshakeCounts;
}
