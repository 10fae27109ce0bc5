import type { NodeInfo } from '../../api/node-info.js';
import type { DaemonService } from '../service.js';

/** Registers `node.info`: the node's status, listener, uptime, workers and connections. */
export const nodeInfoService: DaemonService = {
  name: 'node',
  start(ctx) {
    ctx.api.register('node.info', (): NodeInfo => ({
      name: ctx.name,
      pid: process.pid,
      status: 'running',
      startedAt: ctx.startedAt.toISOString(),
      uptimeMs: Date.now() - ctx.startedAt.getTime(),
      tcpListenerAddress: ctx.tcpListenerAddress,
      controlSocket: ctx.controlSocket,
      workers: ctx.node.workerAddresses().length,
      connections: ctx.transports.connections(),
      methods: ctx.api.methods(),
    }));
  },
};
