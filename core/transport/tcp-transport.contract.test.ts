import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tcp } from '../routing/address.js';
import { parseHostPort } from './host-port.js';
import { TRANSPORT_VERSION } from './tcp-connection.js';
import { TcpTransport } from './tcp-transport.js';
import { transportContract } from './testing/transport-contract.js';
import type { RawPeer, StalledServer } from './testing/transport-contract.js';

function rawConnect(address: string): Promise<RawPeer> {
  const { host, port } = parseHostPort(address);
  const socket = connect({ host, port });
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const peer: RawPeer = {
    write: (bytes) => { if (!socket.destroyed) socket.write(bytes); },
    received: () => Buffer.concat(chunks),
    closed,
    destroy: async () => {
      socket.destroy();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(peer));
    socket.once('error', reject);
  });
}

async function stalledServer(): Promise<StalledServer> {
  const sockets = new Set<Socket>();
  let reading = false;
  let bytesRead = 0;
  const read = (socket: Socket): void => {
    socket.on('data', (chunk: Buffer) => { bytesRead += chunk.length; });
    socket.resume();
  };
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (reading) read(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    accepted: () => sockets.size,
    resume: () => {
      reading = true;
      for (const socket of sockets) read(socket);
    },
    bytesRead: () => bytesRead,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

function frameHeader(length: number): Uint8Array {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length);
  return header;
}

transportContract('tcp', {
  create: (node, limits) => new TcpTransport(node, limits),
  listenAddress: '127.0.0.1:0',
  route: (address) => tcp(address),
  wire: {
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
  },
});
