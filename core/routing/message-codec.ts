import { InvalidInputError } from '../errors.js';
import { LOCAL, MAX_ADDRESS_LENGTH, TCP, UDP, WS, tcp, udp, ws } from './address.js';
import type { Address } from './address.js';
import type { Message, Route } from './message.js';

/**
 * The binary form of a routed message (design section 3):
 *
 * ```
 * message = version:u8 (=1) route(onward) route(return) payload
 * route   = count:u8 (<= MAX_HOPS) address*
 * address = type:u8 (0 local, 1 tcp, 2 ws, 3 udp) length:u8 (>= 1) utf8-bytes
 * payload = length:u32be bytes
 * ```
 * Origin is local metadata and never encoded.
 */
export const MESSAGE_VERSION = 1;

/** Most hops a route may hold on the wire. */
export const MAX_HOPS = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const LONE_SURROGATE = /\p{Cs}/u;

/** Options for {@link encodeMessage}. */
export interface EncodeOptions {
  /** Bytes left free (and zeroed) before the message, e.g. for a frame header. */
  readonly headroom?: number;
  /** Leaves out the first onward hop (a hop being consumed as the message is sent). */
  readonly dropFirstHop?: boolean;
}

/** Encodes a message. Throws InvalidInputError for a route too long or an address that cannot be encoded. */
export function encodeMessage(message: Message, options: EncodeOptions = {}): Uint8Array {
  return encodeInto(message, options, true);
}

/**
 * Encodes everything of a message but its payload bytes: headroom, version, routes and
 * the payload length. `header || payload` is exactly what {@link encodeMessage} returns,
 * so a sender can write (or encrypt) the two parts without copying the payload.
 * Throws like {@link encodeMessage}.
 */
export function encodeMessageHeader(message: Message, options: EncodeOptions = {}): Uint8Array {
  return encodeInto(message, options, false);
}

function encodeInto(message: Message, options: EncodeOptions, withPayload: boolean): Uint8Array {
  const headroom = options.headroom ?? 0;
  const payload = message.payload;
  if (!(payload instanceof Uint8Array)) throw new InvalidInputError('routing', 'message payload must be bytes');
  if (payload.length > 0xffffffff) throw new InvalidInputError('routing', 'message payload is too large');
  const onward = message.onwardRoute;
  const skip = options.dropFirstHop && Array.isArray(onward) && onward.length > 0 ? 1 : 0;
  const headerSize = headroom + 1 + routeSize(onward, 'onward', skip) + routeSize(message.returnRoute, 'return', 0) + 4;
  const out = Buffer.allocUnsafe(withPayload ? headerSize + payload.length : headerSize);
  out.fill(0, 0, headroom);
  let at = headroom;
  out[at++] = MESSAGE_VERSION;
  at = writeRoute(out, at, onward, skip);
  at = writeRoute(out, at, message.returnRoute, 0);
  out.writeUInt32BE(payload.length, at);
  if (withPayload) out.set(payload, at + 4);
  return out;
}

/**
 * Decodes a message. Every read is bounds-checked; anything malformed (truncated, trailing
 * bytes, unknown version or address type, bad UTF-8, too many hops, an invalid TCP or WebSocket address)
 * throws InvalidInputError with origin `routing`. The payload is a view into `bytes`, not a copy.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new InvalidInputError('routing', 'message must be bytes');
  const reader = { at: 0 };
  if (bytes.length < 1) throw malformed('empty');
  if (bytes[0] !== MESSAGE_VERSION) throw malformed(`unknown version ${bytes[0]}`);
  reader.at = 1;
  const onwardRoute = readRoute(bytes, reader, 'onward');
  const returnRoute = readRoute(bytes, reader, 'return');
  if (reader.at + 4 > bytes.length) throw malformed('truncated payload length');
  const length = ((bytes[reader.at]! << 24) >>> 0) + (bytes[reader.at + 1]! << 16) + (bytes[reader.at + 2]! << 8) + bytes[reader.at + 3]!;
  const start = reader.at + 4;
  if (length > bytes.length - start) throw malformed('truncated payload');
  if (start + length !== bytes.length) throw malformed(`${bytes.length - start - length} trailing bytes`);
  return { onwardRoute, returnRoute, payload: bytes.subarray(start, start + length) };
}

function routeSize(route: Route, which: string, skip: number): number {
  if (!Array.isArray(route)) throw new InvalidInputError('routing', `${which} route must be a list of addresses`);
  if (route.length - skip > MAX_HOPS) throw new InvalidInputError('routing', `${which} route has ${route.length - skip} hops, more than ${MAX_HOPS}`);
  let size = 1;
  for (let i = skip; i < route.length; i++) {
    const a = route[i] as Address;
    if (a.type !== LOCAL && a.type !== TCP && a.type !== WS && a.type !== UDP) throw new InvalidInputError('routing', `unknown address type ${String(a.type)}`);
    if (typeof a.value !== 'string' || LONE_SURROGATE.test(a.value)) {
      throw new InvalidInputError('routing', 'address value must be well-formed text');
    }
    if (a.type === TCP) tcp(a.value);
    else if (a.type === WS) ws(a.value);
    else if (a.type === UDP) udp(a.value);
    const n = Buffer.byteLength(a.value);
    if (n < 1 || n > MAX_ADDRESS_LENGTH) throw new InvalidInputError('routing', `address must be 1..${MAX_ADDRESS_LENGTH} bytes, got ${n}`);
    size += 2 + n;
  }
  return size;
}

function writeRoute(out: Buffer, at: number, route: Route, skip: number): number {
  out[at++] = route.length - skip;
  for (let i = skip; i < route.length; i++) {
    const a = route[i]!;
    out[at] = a.type;
    const n = out.write(a.value, at + 2, 'utf8');
    out[at + 1] = n;
    at += 2 + n;
  }
  return at;
}

function readRoute(bytes: Uint8Array, reader: { at: number }, which: string): Address[] {
  if (reader.at >= bytes.length) throw malformed(`truncated ${which} route`);
  const count = bytes[reader.at++]!;
  if (count > MAX_HOPS) throw malformed(`${which} route has ${count} hops, more than ${MAX_HOPS}`);
  const route: Address[] = new Array<Address>(count);
  for (let i = 0; i < count; i++) {
    if (reader.at + 2 > bytes.length) throw malformed(`truncated ${which} route`);
    const type = bytes[reader.at]!;
    const length = bytes[reader.at + 1]!;
    const start = reader.at + 2;
    if (type !== LOCAL && type !== TCP && type !== WS && type !== UDP) throw malformed(`unknown address type ${type}`);
    if (length === 0) throw malformed('empty address');
    if (start + length > bytes.length) throw malformed(`truncated ${which} route`);
    let value: string;
    try {
      value = utf8.decode(bytes.subarray(start, start + length));
    } catch (cause) {
      throw malformed('address is not valid UTF-8', cause);
    }
    reader.at = start + length;
    if (type === TCP) {
      try {
        route[i] = tcp(value);
      } catch (cause) {
        throw malformed('bad tcp address', cause);
      }
    } else if (type === WS) {
      try {
        route[i] = ws(value);
      } catch (cause) {
        throw malformed('bad ws address', cause);
      }
    } else if (type === UDP) {
      try {
        route[i] = udp(value);
      } catch (cause) {
        throw malformed('bad udp address', cause);
      }
    } else {
      route[i] = { type: LOCAL, value };
    }
  }
  return route;
}

function malformed(what: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError('routing', `malformed message: ${what}`, cause === undefined ? undefined : { cause });
}
