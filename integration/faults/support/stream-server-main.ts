/**
 * The server behind the outlet in the fault suite, as its own process (so the suite can
 * kill and freeze it). Usage: `node --import tsx stream-server-main.ts SEED PORT`
 * (PORT 0 picks one). Prints `listening PORT`, then one JSON line per finished
 * connection (see {@link ServerEvent}).
 *
 * A client sends 13 bytes: mode ('D' download, 'U' upload), stream id, size, rate (u32be
 * each, rate in bytes per second). 'D': the server sends `size` bytes of the stream
 * pattern, paced at `rate`, then ends.
 * 'U': the client sends `size` bytes of the pattern and ends; the server checks each byte
 * and, when all arrived intact, answers `OK` and ends.
 */
import { createServer, type Socket } from 'node:net';
import { StreamChecker, StreamPattern } from './stream-pattern.js';

/** What the server saw on one connection. */
export interface ServerEvent {
  readonly mode: 'D' | 'U';
  readonly id: number;
  readonly size: number;
  /** Bytes written (D) or received (U). */
  readonly bytes: number;
  /** 'fin': the client's side ended in order; 'reset': ECONNRESET/EPIPE; 'close': closed without either. */
  readonly end: 'fin' | 'reset' | 'error' | 'close';
  /** Offset of the first byte that did not match the pattern (U). */
  readonly corruptAt?: number;
  /** When the connection closed (Date.now() in the server process). */
  readonly at: number;
}

const [seed = 'seed', portArg = '0'] = process.argv.slice(2);
const pattern = new StreamPattern(seed);
const CHUNK = 64 * 1024;

function report(event: Omit<ServerEvent, 'at'>): void {
  process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);
}

function serve(socket: Socket): void {
  let head = Buffer.alloc(0);
  let end: ServerEvent['end'] | undefined;
  let onDone: (() => void) | undefined;
  socket.on('error', (error: NodeJS.ErrnoException) => {
    end ??= error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'error';
  });
  socket.once('close', () => onDone?.());
  const onHead = (d: Buffer): void => {
    head = Buffer.concat([head, d]);
    if (head.length < 13) return;
    socket.off('data', onHead);
    const mode = String.fromCharCode(head[0]!) === 'U' ? 'U' : 'D';
    const id = head.readUInt32BE(1);
    const size = head.readUInt32BE(5);
    const rate = Math.max(1, head.readUInt32BE(9));
    const rest = head.subarray(13);
    if (mode === 'D') {
      let written = 0;
      onDone = () => report({ mode, id, size, bytes: written, end: end ?? 'close' });
      socket.once('end', () => { end ??= 'fin'; });
      void (async () => {
        const t0 = Date.now();
        let index = 0;
        while (written < size && !socket.destroyed) {
          const n = Math.min(CHUNK, size - written);
          const chunk = pattern.block(id, index++).subarray(0, n);
          written += n;
          const ok = socket.write(chunk);
          const due = t0 + (written / rate) * 1000 - Date.now();
          if (!ok) await new Promise<void>((r) => { socket.once('drain', r); socket.once('close', r); });
          if (due > 0) await new Promise((r) => setTimeout(r, due));
        }
        if (!socket.destroyed) socket.end();
      })();
    } else {
      const checker = new StreamChecker(pattern, id);
      onDone = () => report({ mode, id, size, bytes: checker.received, end: end ?? 'close', ...(checker.corruptAt !== undefined ? { corruptAt: checker.corruptAt } : {}) });
      socket.on('data', (d: Buffer) => checker.push(d));
      socket.once('end', () => {
        end ??= 'fin';
        if (checker.received === size && checker.corruptAt === undefined) socket.end('OK');
        else socket.end();
      });
      if (rest.length > 0) checker.push(rest);
    }
  };
  socket.on('data', onHead);
}

const server = createServer({ allowHalfOpen: true }, serve);
server.listen(Number(portArg), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
