import type { WithIsoTimes } from './iso-time.js';
import type { TcpInletStatus } from '../../core/portal/tcp-inlet.js';

/** One TCP inlet as persisted in the node configuration. Its name (the policy resource name) is its listen address. */
export interface TcpInletRecord {
  /** `HOST:PORT` listened on (the actual port when created with port 0). */
  readonly listen: string;
  /** Relay name on the node's project (`--via`). */
  readonly via?: string;
  /** Route text to the outlet (`--to`). */
  readonly to?: string;
  /** Outlet address on the far node (with `--via`, or `--to` ending at a listener). */
  readonly outlet: string;
  /** The `--allow` expression stored as the inlet's resource policy, if one was given. */
  readonly allow?: string;
  /** `--direct`: with `--via`, move the end-to-end channel onto a direct UDP path when one can be made. */
  readonly direct?: boolean;
  readonly createdAt: string;
}

/** Which path an inlet's end-to-end channel takes (inlets with `--via`). */
export interface InletPathView {
  /** `relay`, `direct` (UDP between the two nodes) or `arranging` (rendezvous and punching under way). */
  readonly path: 'relay' | 'direct' | 'arranging';
  /** The outlet node's public UDP address, once known. */
  readonly peerAddress?: string;
  /** Why the channel is on the relay although `--direct` asked for a direct path. */
  readonly reason?: string;
  /** When the path last changed, ISO 8601. */
  readonly since?: string;
}

/** An inlet's status as the API reports it: `since`, `lastErrorAt` and `recoveredAt` in ISO 8601. */
export type TcpInletStatusView = WithIsoTimes<TcpInletStatus, 'since' | 'lastErrorAt' | 'recoveredAt'>;

/** What the `tcp-inlet.*` methods report about an inlet. */
export interface TcpInletView extends TcpInletRecord {
  readonly name: string;
  /** Absent when the inlet could not start (see `error`). */
  readonly status?: TcpInletStatusView;
  readonly error?: string;
  /** The path of the end-to-end channel (inlets with `--via`, once a channel was made). */
  readonly path?: InletPathView;
  /** `create` only: what already looks wrong (e.g. the project has no such relay); the inlet is created anyway. */
  readonly warnings?: readonly string[];
}

/** What `tcp-inlet.list` returns. */
export interface TcpInletList {
  readonly inlets: readonly TcpInletView[];
}
