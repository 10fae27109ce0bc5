import { InvalidInputError } from '../errors.js';

/**
 * Address types on the wire: 0 local worker, 1 TCP endpoint `host:port`, 2 WebSocket
 * endpoint `ws://host:port/path` or `wss://host:port/path`, 3 UDP endpoint `host:port`.
 */
export const LOCAL = 0;
export const TCP = 1;
export const WS = 2;
export const UDP = 3;
export type AddressType = typeof LOCAL | typeof TCP | typeof WS | typeof UDP;

/** One hop of a route. `value` is a worker name (local), `host:port` (tcp, udp) or a canonical WebSocket URL (ws). */
export interface Address {
  readonly type: AddressType;
  readonly value: string;
}

/** Longest address value, in UTF-8 bytes (one length byte on the wire). */
export const MAX_ADDRESS_LENGTH = 255;

/** A local worker address. */
export function local(value: string): Address {
  if (value.length === 0 || Buffer.byteLength(value) > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('routing', `local address must be 1..${MAX_ADDRESS_LENGTH} bytes`);
  }
  return { type: LOCAL, value };
}

/** A TCP address `host:port`. */
export function tcp(hostPort: string): Address {
  const m = /^(.+):(\d{1,5})$/.exec(hostPort);
  if (!m || Number(m[2]) > 65535 || Buffer.byteLength(hostPort) > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('routing', `tcp address must be HOST:PORT, got '${hostPort}'`);
  }
  return { type: TCP, value: hostPort };
}

/** A UDP address `host:port` (same form as TCP's). */
export function udp(hostPort: string): Address {
  const m = /^(.+):(\d{1,5})$/.exec(hostPort);
  if (!m || Number(m[2]) > 65535 || Buffer.byteLength(hostPort) > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('routing', `udp address must be HOST:PORT, got '${hostPort}'`);
  }
  return { type: UDP, value: hostPort };
}

/** A WebSocket endpoint, the parts of a canonical `ws` address value. */
export interface WsEndpoint {
  /** `wss` (TLS) or `ws`. */
  readonly secure: boolean;
  /** Host name or IPv4 address, or an IPv6 address without brackets. */
  readonly host: string;
  readonly port: number;
  /** The HTTP path of the upgrade request, starting with `/`. */
  readonly path: string;
}

/** `ws[s]://HOST:PORT/PATH`: HOST without `/ ? # @` or white space, an IPv6 host in brackets; PATH of RFC 3986 path characters. */
const WS_URL = /^(wss?):\/\/(\[[0-9A-Fa-f:.]+(?:%[A-Za-z0-9._~-]+)?\]|[^\s/?#@:[\]]+):(\d{1,5})(\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*)$/;

/**
 * Splits a canonical WebSocket address value (scheme, host, explicit port, path; e.g.
 * `ws://127.0.0.1:4080/`, `wss://proxy.example:443/symbolon`). Throws InvalidInputError
 * (origin routing) for anything else.
 */
export function parseWsAddress(value: string): WsEndpoint {
  const m = typeof value === 'string' ? WS_URL.exec(value) : null;
  if (!m || Number(m[3]) > 65535 || Buffer.byteLength(value) > MAX_ADDRESS_LENGTH) {
    throw new InvalidInputError('routing', `ws address must be ws://HOST:PORT/PATH or wss://HOST:PORT/PATH, got '${String(value)}'`);
  }
  const bracketed = m[2]!.startsWith('[');
  return { secure: m[1] === 'wss', host: bracketed ? m[2]!.slice(1, -1) : m[2]!, port: Number(m[3]), path: m[4]! };
}

/** Formats a WebSocket endpoint as its canonical address value; the inverse of {@link parseWsAddress}. */
export function formatWsAddress(endpoint: WsEndpoint): string {
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  return `${endpoint.secure ? 'wss' : 'ws'}://${host}:${endpoint.port}${endpoint.path}`;
}

/** A WebSocket address: a canonical `ws://HOST:PORT/PATH` or `wss://HOST:PORT/PATH` value (see {@link parseWsAddress}). */
export function ws(url: string): Address {
  parseWsAddress(url);
  return { type: WS, value: url };
}

/** True when both name the same hop. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.type === b.type && a.value === b.value;
}

/** `0#echo`, `1#127.0.0.1:4000`, `2#ws://127.0.0.1:4080/`, `3#127.0.0.1:4000`: a compact, unambiguous form for logs. */
export function addressToString(a: Address): string {
  return `${a.type}#${a.value}`;
}
