import { udp } from '../routing/address.js';
import { transportContract } from './testing/transport-contract.js';
import { udpWire } from './testing/udp-wire.js';
import { UdpTransport } from './udp-transport.js';

transportContract('udp', {
  create: (node, limits) => new UdpTransport(node, limits),
  listenAddress: '127.0.0.1:0',
  route: (address) => udp(address),
  wire: udpWire,
});
