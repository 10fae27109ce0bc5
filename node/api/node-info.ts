import type { TransportConnection } from '../../core/transport/transport-set.js';

/** What `node.info` returns about a running node. */
export interface NodeInfo {
  readonly name: string;
  readonly pid: number;
  readonly status: 'running';
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly tcpListenerAddress: string;
  readonly controlSocket: string;
  /** Number of workers the node hosts. */
  readonly workers: number;
  /** Open connections of every transport (inbound and outbound), each naming its transport. */
  readonly connections: readonly TransportConnection[];
  /** Control methods the node answers. */
  readonly methods: readonly string[];
}
