import { tcpTransportKind } from '../../core/transport/tcp-transport.js';
import type { TransportKind } from '../../core/transport/transport.js';
import { udpTransportKind } from '../../core/transport/udp-transport.js';
import { wsTransportKind } from '../../core/transport/ws-transport.js';

/**
 * The transports a node process runs, one per route address type. A new transport is one
 * file in core/transport/ (its class and `TransportKind`, passing
 * core/transport/testing/transport-contract.ts) plus one line here.
 */
export const transportKinds: readonly TransportKind[] = [
  tcpTransportKind,
  wsTransportKind,
  udpTransportKind,
];
