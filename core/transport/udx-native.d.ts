/**
 * The part of udx-native (reliable, congestion-controlled streams over UDP; CommonJS,
 * no type declarations of its own) that the UDP transport uses.
 */
declare module 'udx-native' {
  import type { EventEmitter } from 'node:events';

  /** A bound UDP socket; streams and plain datagrams share it. */
  export interface UdxSocket extends EventEmitter {
    readonly bound: boolean;
    readonly closing: boolean;
    readonly streams: Set<UdxStream>;
    address(): { host: string; family: number; port: number } | null;
    bind(port?: number, host?: string): void;
    close(): Promise<void>;
    trySend(buffer: Uint8Array, port: number, host?: string, ttl?: number): void;
    send(buffer: Uint8Array, port: number, host?: string, ttl?: number): Promise<boolean>;
    on(event: 'message', listener: (message: Buffer, from: { host: string; family: number; port: number }) => void): this;
    on(event: 'close' | 'idle' | 'busy' | 'listening', listener: () => void): this;
  }

  /** One reliable stream (a streamx Duplex) between a local and a remote stream id. */
  export interface UdxStream extends EventEmitter {
    readonly id: number;
    readonly remoteId: number;
    readonly remoteHost: string | null;
    readonly remotePort: number;
    readonly connected: boolean;
    readonly destroyed: boolean;
    readonly destroying: boolean;
    readonly rtt: number;
    readonly inflight: number;
    readonly bytesTransmitted: number;
    readonly bytesReceived: number;
    readonly socket: UdxSocket | null;
    connect(socket: UdxSocket, remoteId: number, port: number, host?: string): void;
    changeRemote(socket: UdxSocket, remoteId: number, port: number, host?: string): Promise<void>;
    setKeepalive(timeoutMs: number): void;
    write(data: Uint8Array): boolean;
    end(): void;
    pause(): this;
    resume(): this;
    destroy(error?: Error): void;
  }

  /** One UDX instance (an event-loop handle); sockets and streams are made from it. */
  export default class UDX {
    constructor();
    createSocket(options?: { ipv6Only?: boolean; reuseAddress?: boolean }): UdxSocket;
    createStream(id: number, options?: { framed?: boolean; seq?: number }): UdxStream;
    static isIP(host: string): 0 | 4 | 6;
  }
}

declare module 'udx-native/lib/stream.js' {
  import type UDX from 'udx-native';
  import type { UdxStream } from 'udx-native';

  /** The stream class itself, so that a subclass can observe acknowledgements. */
  interface UdxStreamClass {
    new (udx: UDX, id: number, options?: { framed?: boolean; seq?: number }): UdxStream;
  }
  const UDXStream: UdxStreamClass;
  export default UDXStream;
}
