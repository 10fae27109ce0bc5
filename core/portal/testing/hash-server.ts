import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';

/** A server behaviour for {@link startEchoServer}: hashes what it reads and, on end, writes the SHA-256 hex and ends. */
export function hashingServer(socket: Socket): void {
  const hash = createHash('sha256');
  socket.on('data', (d: Buffer) => hash.update(d));
  socket.once('end', () => socket.end(hash.digest('hex')));
}

/** A server behaviour: reads everything, then on end replies `reply` and ends (half-close test). */
export function replyOnEnd(reply: string): (socket: Socket) => void {
  return (socket) => {
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => { got += d; });
    socket.once('end', () => socket.end(`${reply}:${got}`));
  };
}

/** A server behaviour: never reads (a stalled reader). */
export function neverReads(socket: Socket): void {
  socket.pause();
}
