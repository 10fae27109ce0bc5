import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { parseWsAddress } from '../../routing/address.js';
import { formatHostPort } from '../host-port.js';
import { WS_TRANSPORT_VERSION } from '../ws-connection.js';
import type { RawPeer, StalledServer, TransportWire } from './transport-contract.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const HEADER_END = Buffer.from('\r\n\r\n');

/** Opcodes of RFC 6455 section 5.2. */
const CONTINUATION = 0x0;
const TEXT = 0x1;
const BINARY = 0x2;

/**
 * A client WebSocket frame (masked, as RFC 6455 requires of clients) with `opcode` and
 * `payload`; `fin` false leaves the message open for continuation frames.
 */
export function clientFrame(payload: Uint8Array, { opcode = BINARY, fin = true }: { opcode?: number; fin?: boolean } = {}): Uint8Array {
  const header = clientFrameHeader(payload.length, { opcode, fin });
  const mask = header.subarray(header.length - 4);
  const body = Buffer.alloc(payload.length);
  for (let i = 0; i < payload.length; i++) body[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, body]);
}

/** The header of a masked client frame announcing `length` payload bytes (the payload is not included). */
export function clientFrameHeader(length: number, { opcode = BINARY, fin = true }: { opcode?: number; fin?: boolean } = {}): Buffer {
  const mask = randomBytes(4);
  mask[0]! |= 1;
  const first = (fin ? 0x80 : 0) | opcode;
  if (length < 126) return Buffer.concat([Buffer.of(first, 0x80 | length), mask]);
  if (length < 65536) {
    const header = Buffer.alloc(4);
    header[0] = first;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(length, 2);
    return Buffer.concat([header, mask]);
  }
  const header = Buffer.alloc(10);
  header[0] = first;
  header[1] = 0x80 | 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return Buffer.concat([header, mask]);
}

/** A text frame (the transport refuses text). */
export function clientTextFrame(text: string): Uint8Array {
  return clientFrame(Buffer.from(text), { opcode: TEXT });
}

/** The complete, non-empty binary messages in the server's bytes (unmasked frames; control frames and heartbeats left out). */
export function readServerMessages(bytes: Uint8Array): Uint8Array[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const messages: Uint8Array[] = [];
  let parts: Buffer[] = [];
  let at = 0;
  while (at + 2 <= view.length) {
    const fin = (view[at]! & 0x80) !== 0;
    const opcode = view[at]! & 0x0f;
    let length = view[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (start + 2 > view.length) break;
      length = view.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > view.length) break;
      length = Number(view.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > view.length) break;
    const payload = view.subarray(start, start + length);
    at = start + length;
    if (opcode === BINARY || opcode === CONTINUATION) {
      parts.push(payload);
      if (fin) {
        const message = Buffer.concat(parts);
        parts = [];
        if (message.length > 0) messages.push(message);
      }
    }
  }
  return messages;
}

/**
 * Opens a TCP connection to a WebSocket listener at `url` (`ws://host:port/path`) and
 * upgrades it by hand; the peer then writes raw bytes (use {@link clientFrame}) and sees
 * every byte after the `101` response. `localAddress` binds the source address; `noRead`
 * stops reading after the upgrade (a client that never reads).
 */
export function rawWsConnect(url: string, options: { localAddress?: string; noRead?: boolean } = {}): Promise<RawPeer> {
  const { host, port, path } = parseWsAddress(url);
  const address = formatHostPort(host, port);
  const socket = connect({ host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  const chunks: Buffer[] = [];
  let head: Buffer | null = Buffer.alloc(0);
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
    socket.once('connect', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (head === null) {
        chunks.push(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf(HEADER_END);
      if (end < 0) return;
      const status = head.subarray(0, head.indexOf('\r\n')).toString('latin1');
      const rest = head.subarray(end + HEADER_END.length);
      head = null;
      if (!/^HTTP\/1\.1 101 /.test(status)) {
        socket.destroy();
        reject(new Error(`upgrade refused: ${status}`));
        return;
      }
      if (rest.length > 0) chunks.push(rest);
      if (options.noRead) socket.pause();
      resolve(peer);
    });
    socket.once('close', () => reject(new Error('closed before the upgrade')));
  });
}

/** A WebSocket server outside the product that completes upgrades and then reads nothing until `resume`. */
export async function stalledWsServer(): Promise<StalledServer> {
  const upgraded = new Set<Socket>();
  const sockets = new Set<Socket>();
  let reading = false;
  let bytesRead = 0;
  const read = (socket: Socket): void => {
    socket.on('data', (chunk: Buffer) => { bytesRead += chunk.length; });
    socket.resume();
  };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    let request = Buffer.alloc(0);
    const onRequest = (chunk: Buffer): void => {
      request = Buffer.concat([request, chunk]);
      const end = request.indexOf(HEADER_END);
      if (end < 0) return;
      socket.off('data', onRequest);
      socket.pause();
      const key = /^sec-websocket-key:\s*(\S+)\s*$/im.exec(request.subarray(0, end).toString('latin1'))?.[1] ?? '';
      const accept = createHash('sha1').update(key + GUID).digest('base64');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      upgraded.add(socket);
      if (reading) read(socket);
    };
    socket.on('data', onRequest);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    accepted: () => upgraded.size,
    resume: () => {
      reading = true;
      for (const socket of upgraded) read(socket);
    },
    bytesRead: () => bytesRead,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The WebSocket transport's wire as the contract suite speaks it from outside. */
export const wsWire: TransportWire = {
  connect: rawWsConnect,
  stalledServer: stalledWsServer,
  hello: clientFrame(Uint8Array.of(WS_TRANSPORT_VERSION)),
  badHello: clientFrame(Uint8Array.of(WS_TRANSPORT_VERSION + 8)),
  frame: (body) => clientFrame(body),
  frameHeader: (length) => clientFrameHeader(length),
  readFrames: readServerMessages,
};
