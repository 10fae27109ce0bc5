import { connect, type Socket } from 'node:net';
import { StreamChecker, StreamPattern } from './stream-pattern.js';

/** How a client's connection ended. */
export type ClientOutcome = 'end' | 'reset' | 'error' | 'timeout';

/** What a download saw. */
export interface DownloadOutcome {
  readonly id: number;
  readonly size: number;
  /** 'end': a clean end of stream (FIN); 'reset': ECONNRESET or EPIPE. */
  readonly outcome: ClientOutcome;
  readonly bytes: number;
  /** Offset of the first byte that did not match the stream pattern; undefined when all matched. */
  readonly corruptAt: number | undefined;
  /** When the connection ended (Date.now()). */
  readonly endedAt: number;
}

/** A transfer under way: its bytes so far, and its outcome once it ends. */
export interface Transfer<T> {
  readonly done: Promise<T>;
  /** Bytes moved so far (received for a download, sent for an upload). */
  bytes(): number;
}

function head(mode: 'D' | 'U', id: number, size: number, rate: number): Buffer {
  const b = Buffer.alloc(13);
  b.write(mode, 0, 'latin1');
  b.writeUInt32BE(id, 1);
  b.writeUInt32BE(size, 5);
  b.writeUInt32BE(Math.min(rate, 0xffffffff), 9);
  return b;
}

const errorOutcome = (error: NodeJS.ErrnoException): ClientOutcome => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'error');

/**
 * After the end of stream, writes one byte: it fails with ECONNRESET or EPIPE when the
 * connection was reset (libuv may report a reset right after a partial read as an end of
 * stream) and succeeds on a connection that was only half-closed.
 */
function probeAfterEnd(socket: Socket, finish: (o: ClientOutcome) => void): void {
  socket.write(Uint8Array.of(0), (error) => {
    const code = (error as NodeJS.ErrnoException | null | undefined)?.code;
    finish(code === undefined ? 'end' : code === 'ECONNRESET' || code === 'EPIPE' ? 'reset' : 'error');
  });
}

/** Downloads `size` bytes of stream `id` through 127.0.0.1:`port`, sent at `rate` bytes/s, checking every byte. */
export function startDownload(port: number, pattern: StreamPattern, id: number, size: number, rate: number, timeoutMs: number): Transfer<DownloadOutcome> {
  const checker = new StreamChecker(pattern, id);
  const done = new Promise<DownloadOutcome>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let finished = false;
    const finish = (outcome: ClientOutcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => undefined);
      socket.destroy();
      resolve({ id, size, outcome, bytes: checker.received, corruptAt: checker.corruptAt, endedAt: Date.now() });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.once('connect', () => socket.write(head('D', id, size, rate)));
    socket.on('data', (d: Buffer) => checker.push(d));
    socket.once('end', () => probeAfterEnd(socket, finish));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(errorOutcome(error)));
  });
  return { done, bytes: () => checker.received };
}

/** What an upload saw. */
export interface UploadOutcome {
  readonly id: number;
  readonly size: number;
  /** 'end' with `confirmed`: the server got every byte intact. */
  readonly outcome: ClientOutcome;
  readonly sent: number;
  /** The server answered OK (it received all `size` bytes, intact). */
  readonly confirmed: boolean;
  readonly endedAt: number;
}

/** Uploads `size` bytes of stream `id` through 127.0.0.1:`port`, paced at `rate` bytes/s, then ends its side. */
export function startUpload(port: number, pattern: StreamPattern, id: number, size: number, rate: number, timeoutMs: number): Transfer<UploadOutcome> {
  let sent = 0;
  const done = new Promise<UploadOutcome>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let answer = '';
    let finished = false;
    const finish = (outcome: ClientOutcome): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.on('error', () => undefined);
      socket.destroy();
      resolve({ id, size, outcome, sent, confirmed: answer === 'OK', endedAt: Date.now() });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (d: Buffer) => { answer += d.toString('latin1'); });
    socket.once('end', () => finish('end'));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(errorOutcome(error)));
    socket.once('connect', () => {
      socket.write(head('U', id, size, rate));
      void (async () => {
        const t0 = Date.now();
        let index = 0;
        while (sent < size && !finished) {
          const block = pattern.block(id, index++).subarray(0, Math.min(64 * 1024, size - sent));
          sent += block.length;
          const ok = socket.write(block);
          const due = t0 + (sent / rate) * 1000 - Date.now();
          if (!ok) await new Promise<void>((r) => { socket.once('drain', r); socket.once('close', r); });
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
        if (!finished) socket.end();
      })();
    });
  });
  return { done, bytes: () => sent };
}
