import type { NodeInfo } from '../../api/node-info.js';
import { withIsoTimes } from '../../api/iso-time.js';
import { TCP, UDP, WS } from '../../../core/routing/address.js';
import { TcpTransport } from '../../../core/transport/tcp-transport.js';
import { UdpTransport } from '../../../core/transport/udp-transport.js';
import { WsTransport } from '../../../core/transport/ws-transport.js';
import type { DaemonContext, DaemonService } from '../service.js';

/** The node's counters: routing, and for TCP and WebSocket the transport's and what peers make it hold. */
function nodeStats(ctx: DaemonContext): NodeInfo['stats'] {
  const tcp = ctx.transports.all().find((t) => t.addressType === TCP);
  const ws = ctx.transports.all().find((t) => t.addressType === WS);
  const udp = ctx.transports.all().find((t) => t.addressType === UDP);
  const wsStats = {
    ...(ws instanceof WsTransport ? { ws: { transport: { ...ws.stats }, peers: { ...ws.budget.stats } } } : {}),
    ...(udp instanceof UdpTransport ? { udp: { transport: { ...udp.stats }, peers: { ...udp.budget.stats } } } : {}),
  };
  if (!(tcp instanceof TcpTransport)) return { node: { ...ctx.node.stats }, ...wsStats };
  return { node: { ...ctx.node.stats }, transport: { ...tcp.stats }, peers: { ...tcp.budget.stats }, ...wsStats };
}

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
      ...(ctx.wsListenerAddress === undefined ? {} : { wsListenerAddress: ctx.wsListenerAddress }),
      ...(ctx.udpListenerAddress === undefined ? {} : { udpListenerAddress: ctx.udpListenerAddress }),
      controlSocket: ctx.controlSocket,
      ...(ctx.metricsAddress !== undefined ? { metricsAddress: ctx.metricsAddress } : {}),
      workers: ctx.node.workerAddresses().length,
      connections: ctx.transports.connections().map((c) => withIsoTimes(c, ['openedAt'])),
      stats: nodeStats(ctx),
      methods: ctx.api.methods(),
    }));
  },
};
