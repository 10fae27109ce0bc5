/**
 * The benchmark's load generator: bulk uploads, 64-byte round trips and idle
 * connections against the sink protocol (see sink-server.ts), directly or through any
 * forwarder or portal in between.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { parseHostPort } from '../../core/transport/host-port.js';
import { IoError, TimeoutError } from '../../core/errors.js';
import { BULK_ACK, BULK_HEADER_BYTES, MODE_BULK, MODE_ECHO } from './sink-server.js';

/** What one bulk upload measured. */
export interface BulkResult {
  readonly bytes: number;
  readonly seconds: number;
  /** Megabytes (10^6 bytes) per second. */
  readonly mbPerSecond: number;
}

/** What a round-trip run measured. */
export interface RoundTripResult {
  readonly roundTrips: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Median round trip, microseconds. */
  readonly medianMicros: number;
  /** 99th percentile round trip, microseconds. */
  readonly p99Micros: number;
}

/** Opens one TCP connection to `HOST:PORT`. */
export function openConnection(address: string, timeoutMs = 10_000): Promise<Socket> {
  const { host, port } = parseHostPort(address, { origin: 'portal' });
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TimeoutError('portal', `connect to ${address} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', reject);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(new IoError('portal', `cannot connect to ${address}: ${error.message}`, { cause: error }));
    });
  });
}

/** Resolves once `socket` delivered `bytes` bytes; rejects if it closes first. */
function awaitBytes(socket: Socket, bytes: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= bytes) finish();
    };
    const onClose = (): void => { cleanup(); reject(new IoError('portal', `connection closed before ${what}`)); };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    const finish = (): void => { cleanup(); resolve(); };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/**
 * Uploads `bytes` bytes to the sink at `address` in `chunk`-byte writes (with
 * back-pressure) and times it from the first write to the sink's acknowledgement.
 */
export async function bulkUpload(address: string, bytes: number, chunk = 64 * 1024): Promise<BulkResult> {
  const socket = await openConnection(address);
  socket.on('error', () => {});
  try {
    const block = Buffer.alloc(chunk, 0x5a);
    const header = Buffer.alloc(BULK_HEADER_BYTES);
    header[0] = MODE_BULK;
    header.writeBigUInt64BE(BigInt(bytes), 1);
    const acked = awaitBytes(socket, 1, 'the bulk acknowledgement');
    const start = performance.now();
    socket.write(header);
    for (let sent = 0; sent < bytes; sent += chunk) {
      const n = Math.min(chunk, bytes - sent);
      if (!socket.write(n === chunk ? block : block.subarray(0, n))) {
        await new Promise<void>((resolve, reject) => {
          const onClose = (): void => reject(new IoError('portal', 'connection closed during the bulk upload'));
          socket.once('close', onClose);
          socket.once('drain', () => { socket.off('close', onClose); resolve(); });
        });
      }
    }
    await acked;
    const seconds = (performance.now() - start) / 1000;
    return { bytes, seconds, mbPerSecond: bytes / 1e6 / seconds };
  } finally {
    socket.destroy();
  }
}

/**
 * Uploads `bytes` bytes in total over `sessions` connections at once (each a bulk upload
 * of an equal share) and times it from the first write to the last acknowledgement.
 */
export async function parallelBulkUpload(address: string, bytes: number, sessions: number): Promise<BulkResult> {
  const share = Math.max(1, Math.floor(bytes / sessions));
  const start = performance.now();
  await Promise.all(Array.from({ length: sessions }, () => bulkUpload(address, share)));
  const seconds = (performance.now() - start) / 1000;
  const total = share * sessions;
  return { bytes: total, seconds, mbPerSecond: total / 1e6 / seconds };
}

/**
 * Runs sequential `size`-byte request/response round trips through the echo mode for
 * `durationMs` after `warmup` untimed ones, on one connection.
 */
export async function roundTrips(address: string, durationMs: number, size = 64, warmup = 200): Promise<RoundTripResult> {
  const socket = await openConnection(address);
  socket.on('error', () => {});
  try {
    socket.write(Buffer.of(MODE_ECHO));
    const request = Buffer.alloc(size, 0x61);
    const samples: number[] = [];
    const result = await new Promise<{ count: number; seconds: number }>((resolve, reject) => {
      let pending = 0;
      let count = -warmup;
      let start = 0;
      let sentAt = 0;
      const send = (): void => {
        pending = size;
        sentAt = performance.now();
        socket.write(request);
      };
      socket.on('data', (d: Buffer) => {
        pending -= d.length;
        if (pending > 0) return;
        const now = performance.now();
        count++;
        if (count === 0) start = now;
        else if (count > 0) {
          if (samples.length < 100_000) samples.push(now - sentAt);
          if (now - start >= durationMs) {
            resolve({ count, seconds: (now - start) / 1000 });
            return;
          }
        }
        send();
      });
      socket.once('close', () => reject(new IoError('portal', 'connection closed during the round trips')));
      send();
    });
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(samples.length / 2)] ?? 0;
    const p99 = samples[Math.min(samples.length - 1, Math.floor(samples.length * 0.99))] ?? 0;
    return {
      roundTrips: result.count, seconds: result.seconds, perSecond: result.count / result.seconds,
      medianMicros: Math.round(median * 1000), p99Micros: Math.round(p99 * 1000),
    };
  } finally {
    socket.destroy();
  }
}

/** Idle client connections held open by the load generator. */
export class IdleConnections {
  private readonly sockets = new Set<Socket>();

  /** Opens `count` connections to `address`, at most `concurrency` connects at a time; resolves with how many are open. */
  async open(address: string, count: number, concurrency = 128): Promise<number> {
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < count) {
        next++;
        const socket = await openConnection(address);
        socket.on('error', () => {});
        socket.once('close', () => this.sockets.delete(socket));
        this.sockets.add(socket);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    return this.sockets.size;
  }

  /** Connections still open (the far side has not closed them). */
  get size(): number {
    return this.sockets.size;
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }
}
