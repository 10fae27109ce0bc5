import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { parseHostPort } from '../../transport/host-port.js';

/** Opens a half-open-capable TCP client connection to `HOST:PORT`. */
export async function openClient(address: string): Promise<Socket> {
  const { host, port } = parseHostPort(address, { origin: 'portal' });
  const socket = connect({ host, port, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

/** Writes `data` (with back-pressure), half-closes, and resolves with everything read until the server ends. */
export async function exchange(address: string, data: Uint8Array, chunk = 64 * 1024): Promise<Buffer> {
  const socket = await openClient(address);
  const parts: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    socket.on('data', (d: Buffer) => parts.push(d));
    socket.once('end', () => resolve(Buffer.concat(parts)));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(parts)));
  });
  for (let off = 0; off < data.length; off += chunk) {
    if (!socket.write(data.subarray(off, off + chunk))) await new Promise((r) => socket.once('drain', r));
  }
  socket.end();
  const result = await done;
  socket.destroy();
  return result;
}

/** SHA-256 hex of `data`. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
