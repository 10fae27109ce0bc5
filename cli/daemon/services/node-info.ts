import type { TcpConnectionInfo } from '../../../core/transport/tcp-transport.js';
import type { DaemonService } from '../service.js';

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

/** Registers `node.info`: the node's status, listener, uptime, workers and connections. */
export const nodeInfoService: DaemonService = {
  name: 'node',
  start(ctx) {
    ctx.control.register('node.info', (): NodeInfo => ({
      name: ctx.name,
      pid: process.pid,
      status: 'running',
      startedAt: ctx.startedAt.toISOString(),
      uptimeMs: Date.now() - ctx.startedAt.getTime(),
      tcpListenerAddress: ctx.tcpListenerAddress,
      controlSocket: ctx.controlSocket,
      workers: ctx.node.workerAddresses().length,
      connections: ctx.transport.connections(),
      methods: ctx.control.methods(),
    }));
  },
};
