import { ws } from '../routing/address.js';
import { transportContract } from './testing/transport-contract.js';
import { wsWire } from './testing/ws-wire.js';
import { WsTransport } from './ws-transport.js';

transportContract('ws', {
  create: (node, limits) => new WsTransport(node, limits),
  listenAddress: '127.0.0.1:0',
  route: (address) => ws(address),
  wire: wsWire,
});
