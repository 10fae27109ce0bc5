import type { WsTransportStats } from '../../core/transport/ws-transport.js';
import type { UdpTransportStats } from '../../core/transport/udp-transport.js';
import type { TransportConnection } from '../../core/transport/transport-set.js';
import type { WithIsoTimes } from './iso-time.js';
import type { NodeStats } from '../../core/node/node.js';
import type { PeerBudgetStats, TcpTransportStats } from '../../core/transport/tcp-transport.js';

/** What `node.info` returns about a running node. */
export interface NodeInfo {
  readonly name: string;
  readonly pid: number;
  readonly status: 'running';
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly tcpListenerAddress: string;
  /** The WebSocket listener (`ws://host:port/`), when the node has one. */
  readonly wsListenerAddress?: string;
  /** The UDP listener (`host:port`), when the node has one. */
  readonly udpListenerAddress?: string;
  readonly controlSocket: string;
  /** Number of workers the node hosts. */
  readonly workers: number;
  /** Open connections of every transport (inbound and outbound), each naming its transport. */
  readonly connections: readonly WithIsoTimes<TransportConnection, 'openedAt'>[];
  /**
   * Counters: routing (`node`: delivered, denied, forwardingRefused ...), the TCP
   * transport, and what peers make the node hold now with the refusals of each bound
   * (`peers`, see docs/threat-model.md); the same for the WebSocket transport (`ws`).
   */
  readonly stats: {
    readonly node: NodeStats; readonly transport?: TcpTransportStats; readonly peers?: PeerBudgetStats;
    readonly ws?: { readonly transport: WsTransportStats; readonly peers: PeerBudgetStats };
    readonly udp?: { readonly transport: UdpTransportStats; readonly peers: PeerBudgetStats };
  };
  /** The actual address of the metrics endpoint, when the node serves one. */
  readonly metricsAddress?: string;
  /** Control methods the node answers. */
  readonly methods: readonly string[];
}
