import { connect, type Socket } from 'node:net';
import { local, tcp } from '../../../core/routing/address.js';
import type { Address } from '../../../core/routing/address.js';
import type { Message } from '../../../core/routing/message.js';
import { decodeMessage, encodeMessage } from '../../../core/routing/message-codec.js';
import { FrameDecoder } from '../../../core/transport/frame-decoder.js';

export { local, tcp };

/** Options of {@link WireClient.connect}. */
export interface WireClientOptions {
  /** Local (source) address to bind, e.g. `127.0.0.2` so the node sees another source than its peers on 127.0.0.1. */
  readonly localAddress?: string;
  /** Do not read what the node sends (the socket is paused: a client that never reads). */
  readonly noRead?: boolean;
}

/**
 * An attacker's raw client of the TCP transport: it speaks the wire format (version byte,
 * u32 length-prefixed frames carrying routing messages) with no identity and no channel.
 */
export class WireClient {
  /** Messages the node sent back. */
  readonly received: Message[] = [];
  closed = false;
  private readonly decoder: FrameDecoder;

  private constructor(readonly socket: Socket) {
    this.decoder = new FrameDecoder(16 * 1024 * 1024, {
      onFrame: (body) => {
        try { this.received.push(decodeMessage(Buffer.from(body))); } catch { /* not ours to judge */ }
      },
      onHeartbeat: () => undefined,
    });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    socket.on('error', () => undefined);
    socket.once('close', () => { this.closed = true; });
  }

  /** Connects to `host:port` and sends the version byte. */
  static connect(hostPort: string, options: WireClientOptions = {}): Promise<WireClient> {
    const [host, port] = [hostPort.slice(0, hostPort.lastIndexOf(':')), Number(hostPort.slice(hostPort.lastIndexOf(':') + 1))];
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.write(Uint8Array.of(1));
        const client = new WireClient(socket);
        if (options.noRead) socket.pause();
        resolve(client);
      });
    });
  }

  /** Sends one routing message as a frame; false once the socket is closed. */
  send(onward: readonly Address[], payload: Uint8Array, returnRoute: readonly Address[] = [local('attacker')]): boolean {
    if (this.socket.destroyed) return false;
    const body = encodeMessage({ onwardRoute: onward, returnRoute, payload });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length, 0);
    this.socket.write(head);
    return this.socket.write(body);
  }

  /** Writes raw bytes (e.g. a frame header without its body). */
  raw(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
