import type { TcpOutletStatus } from '../../core/portal/tcp-outlet.js';
import type { WithIsoTimes } from './iso-time.js';

/** An outlet's status as the API reports it: `lastErrorAt` and `recoveredAt` in ISO 8601. */
export type TcpOutletStatusView = WithIsoTimes<TcpOutletStatus, 'lastErrorAt' | 'recoveredAt'>;

/** One TCP outlet as persisted in the node configuration. */
export interface TcpOutletRecord {
  readonly address: string;
  readonly target: string;
  /** The `--allow` expression stored as the outlet's resource policy, if one was given. */
  readonly allow?: string;
  /** Concurrent sessions per peer identity (absent: the default, 256). */
  readonly maxSessionsPerPeer?: number;
  /** Idle timeout of a session in seconds, 0 for none (absent: the default, 3600). */
  readonly idleTimeoutSeconds?: number;
  readonly createdAt: string;
}

/** What the `tcp-outlet.*` methods report about an outlet. */
export interface TcpOutletView extends TcpOutletRecord {
  readonly status: TcpOutletStatusView;
}

/** What `tcp-outlet.list` returns. */
export interface TcpOutletList {
  readonly outlets: readonly TcpOutletView[];
}
