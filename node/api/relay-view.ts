import type { WithIsoTimes } from './iso-time.js';
import type { RelayClientStatus } from '../../core/relay/relay-client.js';

/** One relay registration as persisted in the node configuration. */
export interface RelayRecord {
  readonly name: string;
  /** The project whose node holds the relay (absent: the node's project). */
  readonly project?: string;
  readonly createdAt: string;
}

/** A relay registration's status as the API reports it: `since`, `lastErrorAt` and `recoveredAt` in ISO 8601. */
export type RelayStatusView = WithIsoTimes<RelayClientStatus, 'since' | 'lastErrorAt' | 'recoveredAt'>;

/** What the `relay.*` methods report about a relay. */
export interface RelayView extends RelayRecord {
  /** The project the relay is registered at now. */
  readonly at: string;
  readonly status: RelayStatusView;
}

/** What `relay.list` returns. */
export interface RelayList {
  readonly relays: readonly RelayView[];
}
