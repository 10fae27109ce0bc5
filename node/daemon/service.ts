import type { ApiRegistry } from '../../core/api/api-registry.js';
import type { Logger } from '../../core/logger.js';
import type { Node } from '../../core/node/node.js';
import type { Route } from '../../core/routing/message.js';
import type { NodeApi } from '../api/node-api.js';
import type { TransportSet } from '../../core/transport/transport-set.js';
import type { Home } from '../home/home.js';
import type { NodeConfigFile } from '../home/node-config.js';
import type { NodeCredentials } from './node-credentials.js';
import type { NodeIdentity } from './node-identity.js';
import type { NodePolicy } from './node-policy.js';
import type { ChannelManager } from './channel-manager.js';
import type { NodeMetrics } from './metrics/node-metrics.js';

/** What a daemon service gets to wire itself into a running node. */
export interface DaemonContext {
  readonly name: string;
  readonly home: Home;
  readonly node: Node;
  /** The node's transports (node/daemon/transports.ts), keyed by route address type. */
  readonly transports: TransportSet;
  /**
   * Register control methods here: only methods of the node API table
   * (node/api/node-api.ts); handlers get checked, typed params and return typed results.
   */
  readonly api: ApiRegistry<NodeApi>;
  /** The node's persisted configuration; each service owns one section. */
  readonly config: NodeConfigFile;
  readonly logger: Logger;
  readonly startedAt: Date;
  /** The actual TCP listener address. */
  readonly tcpListenerAddress: string;
  /** The actual WebSocket listener (`ws://host:port/`), when the node has one. */
  readonly wsListenerAddress?: string;
  /** The actual UDP listener (`host:port`), when the node has one. */
  readonly udpListenerAddress?: string;
  readonly controlSocket: string;
  /** The actual address of the metrics endpoint, when the node serves one. */
  readonly metricsAddress?: string;
  /** Who the node is: identity, primary key vault, purpose keys (node-identity.ts). */
  readonly identity: NodeIdentity;
  /** Its credential, the authorities it trusts, what they said about peers (node-credentials.ts). */
  readonly credentials: NodeCredentials;
  /** What it allows: policies, denials and the one enforcement point (node-policy.ts). */
  readonly policy: NodePolicy;
  /**
   * The node's own secure channels (to its project nodes, end to end through relays and to
   * inlet listeners), shared by every service (see channel-manager.ts).
   */
  readonly channels: ChannelManager;
  /**
   * The node's metrics: a service hands over what it keeps (statuses, counters) with
   * `metrics.provide`, read only when the metrics endpoint is scraped (see metrics/).
   */
  readonly metrics: NodeMetrics;
  /** Parses route text, resolving `/node/NAME` against the home. */
  parseRoute(text: string): Route;
  /** Adds a cleanup step; steps run in reverse order when the node stops. */
  onStop(step: () => void | Promise<void>): void;
}

/**
 * One part of the node daemon (echo, messages, secure channels, inlets, outlets, relays,
 * policies ...). `start` registers its control methods and restores what it persisted in
 * its configuration section. Services start in list order (see services/index.ts).
 */
export interface DaemonService {
  /** A short name, also the key of its configuration section when it has one. */
  readonly name: string;
  start(ctx: DaemonContext): void | Promise<void>;
}
