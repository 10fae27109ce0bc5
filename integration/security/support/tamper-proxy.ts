import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What the proxy does to one frame once armed. */
export type TamperAction = 'flip' | 'replay' | 'reorder' | 'truncate' | 'drop';

/** Which way the tampered frame travels: from the dialing node to the listening node, or back. */
export type TamperDirection = 'to-listener' | 'to-dialer';

/** Options of {@link TamperProxy.arm}. */
export interface ArmOptions {
  /** Frames whose body is shorter are passed through (e.g. 4096 to hit only portal data). Default 1. */
  readonly minFrameBytes?: number;
  /** Bytes of qualifying frames passed through after arming before the action (so a transfer is under way). Default 0. */
  readonly afterBytes?: number;
  /** Qualifying frames passed through after arming before the action (after `afterBytes`). Default 0. */
  readonly afterFrames?: number;
  /** For `flip`: the body offset of the flipped byte; negative counts from the end. Default -40 (inside the ciphertext). */
  readonly flipOffset?: number;
  /** For `flip`: the bit flipped, 0-7. Default 0. */
  readonly flipBit?: number;
}

/** What the proxy did, for the test's report and its assertions. */
export interface TamperRecord {
  readonly action: TamperAction;
  readonly direction: TamperDirection;
  /** Body length of the frame acted on. */
  readonly frameBytes: number;
  /** For `flip`: the body offset and bit flipped. */
  readonly bit?: { readonly offset: number; readonly mask: number };
}

/** Bytes of a frame header: the u32 big-endian body length. */
const HEADER = 4;

interface Armed {
  readonly action: TamperAction;
  readonly direction: TamperDirection;
  readonly minFrameBytes: number;
  afterBytes: number;
  afterFrames: number;
  readonly flipOffset: number;
  readonly flipBit: number;
  /** `reorder`: the frame held back until the next qualifying one passed. */
  held?: Buffer;
  /** `replay`: the copy sent again after `replayAfter` more frames. */
  replay?: Buffer;
  replayAfter?: number;
  readonly done: (record: TamperRecord) => void;
}

/**
 * A man in the middle between two nodes' TCP transports: it accepts the dialing node's
 * connections and opens one to the listening node for each. It parses both directions into
 * whole frames (after the version byte the dialer sends first: u32 big-endian length +
 * body) and forwards them unchanged, except when armed: then it acts once on one
 * qualifying frame in the armed direction (flip a bit of its body, send it again a few
 * frames later, swap it with the next one, cut the stream in the middle of it, or drop it)
 * and passes everything through again. Tampering with whole frames keeps the framing
 * intact, so what is tested is what the nodes make of a valid-looking but forged, replayed,
 * reordered, truncated or missing frame.
 */
export class TamperProxy {
  private armed: Armed | undefined;
  private readonly sockets = new Set<Socket>();
  /** Connections accepted from the dialing node so far. */
  connections = 0;
  /** Frames forwarded, by direction. */
  readonly frames: Record<TamperDirection, number> = { 'to-listener': 0, 'to-dialer': 0 };
  /** Everything the proxy did, in order. */
  readonly records: TamperRecord[] = [];

  private constructor(private readonly server: Server, readonly port: number) {}

  /** Starts a proxy on 127.0.0.1 (a free port) in front of 127.0.0.1:`targetPort`. */
  static async start(targetPort: number): Promise<TamperProxy> {
    let proxy: TamperProxy | undefined;
    const server = createServer((dialer) => proxy?.accept(dialer, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TamperProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  /**
   * Acts once on the next qualifying frame in `direction`; resolves with what it did. Only
   * one action is armed at a time (arming again replaces it).
   */
  arm(action: TamperAction, direction: TamperDirection, options: ArmOptions = {}): Promise<TamperRecord> {
    return new Promise((resolve) => {
      this.armed = {
        action, direction, minFrameBytes: Math.max(1, options.minFrameBytes ?? 1), afterBytes: options.afterBytes ?? 0,
        afterFrames: options.afterFrames ?? 0,
        flipOffset: options.flipOffset ?? -40, flipBit: options.flipBit ?? 0, done: (record) => { this.records.push(record); resolve(record); },
      };
    });
  }

  /** Cancels an armed action that has not happened yet. */
  disarm(): void {
    this.armed = undefined;
  }

  /** Closes every connection and the listening socket. */
  close(): Promise<void> {
    this.armed = undefined;
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(dialer: Socket, targetPort: number): void {
    this.connections++;
    const listener = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [dialer, listener]) {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    const kill = (): void => { dialer.destroy(); listener.destroy(); };
    dialer.once('close', kill);
    listener.once('close', kill);
    this.pipe(dialer, listener, 'to-listener', 1, kill);
    this.pipe(listener, dialer, 'to-dialer', 0, kill);
  }

  /** Parses `from` into frames (after `prefix` raw bytes) and writes them to `to`, tampering when armed. */
  private pipe(from: Socket, to: Socket, direction: TamperDirection, prefix: number, kill: () => void): void {
    let pending: Buffer = Buffer.alloc(0);
    let skip = prefix;
    from.on('data', (chunk: Buffer) => {
      if (skip > 0) {
        const raw = chunk.subarray(0, skip);
        to.write(raw);
        skip -= raw.length;
        chunk = chunk.subarray(raw.length);
      }
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= HEADER) {
        const length = pending.readUInt32BE(0);
        if (pending.length < HEADER + length) break;
        const frame = pending.subarray(0, HEADER + length);
        pending = pending.subarray(HEADER + length);
        if (!this.forward(frame, to, direction, kill)) return;
      }
      // Back-pressure: stop reading while the other side is congested.
      if (to.writableNeedDrain) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
  }

  /** Forwards one whole frame (or acts on it); false once the connection was cut. */
  private forward(frame: Buffer, to: Socket, direction: TamperDirection, kill: () => void): boolean {
    this.frames[direction]++;
    const armed = this.armed;
    const body = frame.length - HEADER;
    if (armed === undefined || armed.direction !== direction || body < armed.minFrameBytes) {
      to.write(frame);
      return true;
    }
    if (armed.replay !== undefined) {
      to.write(frame);
      if (--armed.replayAfter! <= 0) {
        to.write(armed.replay);
        this.armed = undefined;
        armed.done({ action: 'replay', direction, frameBytes: armed.replay.length - HEADER });
      }
      return true;
    }
    if (armed.held !== undefined) {
      to.write(frame);
      to.write(armed.held);
      this.armed = undefined;
      armed.done({ action: 'reorder', direction, frameBytes: armed.held.length - HEADER });
      return true;
    }
    if (armed.afterBytes > 0 || armed.afterFrames > 0) {
      if (armed.afterBytes > 0) armed.afterBytes -= body;
      else armed.afterFrames--;
      to.write(frame);
      return true;
    }
    switch (armed.action) {
      case 'flip': {
        const copy = Buffer.from(frame);
        const offset = Math.min(body - 1, Math.max(0, armed.flipOffset < 0 ? body + armed.flipOffset : armed.flipOffset));
        const mask = 1 << (armed.flipBit & 7);
        copy[HEADER + offset]! ^= mask;
        to.write(copy);
        this.armed = undefined;
        armed.done({ action: 'flip', direction, frameBytes: body, bit: { offset, mask } });
        return true;
      }
      case 'replay':
        to.write(frame);
        armed.replay = Buffer.from(frame);
        armed.replayAfter = 3;
        return true;
      case 'reorder':
        armed.held = Buffer.from(frame);
        return true;
      case 'drop':
        this.armed = undefined;
        armed.done({ action: 'drop', direction, frameBytes: body });
        return true;
      case 'truncate':
        this.armed = undefined;
        // The header and half the body, then the stream ends (FIN) and the other side is cut.
        to.end(frame.subarray(0, HEADER + (body >> 1)), () => kill());
        armed.done({ action: 'truncate', direction, frameBytes: body });
        return false;
    }
  }
}
