import type { TcpConnectionInfo } from '../../core/transport/tcp-transport.js';

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
  /** Open TCP connections (inbound and outbound). */
  readonly connections: readonly TcpConnectionInfo[];
  /** Control methods the node answers. */
  readonly methods: readonly string[];
}
