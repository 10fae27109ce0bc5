import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import UDX from 'udx-native';
import { parseHostPort } from '../host-port.js';
import { TRANSPORT_VERSION } from '../tcp-connection.js';
import type { RawPeer, StalledServer, TransportWire } from './transport-contract.js';
import { ACCEPT, OPEN, decodePairing, encodePairing } from '../udp-pairing.js';

const udx = new UDX();

/**
 * Pairs a raw udx stream with the UDP listener at `address` the way the product does
 * (OPEN until ACCEPT), from a socket of its own; nothing is written on the stream yet.
 */
async function rawConnect(address: string): Promise<RawPeer> {
  const { host, port } = parseHostPort(address);
  const socket = udx.createSocket();
  socket.bind(0, '127.0.0.1');
  const id = randomInt(1, 0x7fffffff);
  const stream = udx.createStream(id);
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  stream.on('error', () => undefined);
  const responder = await new Promise<number>((resolve, reject) => {
    const timer = setInterval(() => socket.trySend(encodePairing(OPEN, id), port, host), 200);
    const deadline = setTimeout(() => { clearInterval(timer); reject(new Error(`no ACCEPT from ${address}`)); }, 5_000);
    socket.on('message', (datagram) => {
      const answer = decodePairing(datagram);
      if (answer?.kind !== ACCEPT || answer.initiator !== id) return;
      clearInterval(timer);
      clearTimeout(deadline);
      resolve(answer.responder);
    });
    socket.trySend(encodePairing(OPEN, id), port, host);
  });
  stream.connect(socket, responder, port, host);
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  let destroyed = false;
  return {
    write: (bytes) => { if (!destroyed && !stream.destroyed) stream.write(Buffer.from(bytes)); },
    received: () => Buffer.concat(chunks),
    closed,
    destroy: async () => {
      destroyed = true;
      stream.destroy();
      await closed;
      await socket.close();
    },
  };
}

/**
 * A UDP server that answers OPEN with ACCEPT and then never acknowledges a packet: to the
 * connecting udx stream, a peer that does not read. After `resume` it counts the bytes it
 * gets (still without acknowledging them).
 */
async function stalledServer(): Promise<StalledServer> {
  const socket = createSocket('udp4');
  const answered = new Map<number, number>();
  let reading = false;
  let bytesRead = 0;
  socket.on('message', (datagram, from) => {
    const open = decodePairing(datagram);
    if (open?.kind !== OPEN) {
      if (reading) bytesRead += datagram.length;
      return;
    }
    let responder = answered.get(open.initiator);
    if (responder === undefined) {
      responder = randomInt(1, 0x7fffffff);
      answered.set(open.initiator, responder);
    }
    socket.send(encodePairing(ACCEPT, open.initiator, responder), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    accepted: () => answered.size,
    resume: () => { reading = true; },
    bytesRead: () => bytesRead,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function frameHeader(length: number): Uint8Array {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header;
}

/** The UDP transport's wire as a peer outside the product speaks it: pairing datagrams, then TCP's bytes on a udx stream. */
export const udpWire: TransportWire = {
  connect: rawConnect,
  stalledServer,
  hello: Uint8Array.of(TRANSPORT_VERSION),
  badHello: Uint8Array.of(TRANSPORT_VERSION + 8),
  frame: (body) => Buffer.concat([frameHeader(body.length), body]),
  frameHeader,
  readFrames: (bytes) => {
    const frames: Uint8Array[] = [];
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    let at = 0;
    while (at + 4 <= view.length) {
      const length = view.readUInt32BE(at);
      if (at + 4 + length > view.length) break;
      if (length > 0) frames.push(view.subarray(at + 4, at + 4 + length));
      at += 4 + length;
    }
    return frames;
  },
};
