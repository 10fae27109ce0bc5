import { InvalidInputError } from '../errors.js';

/**
 * Portal protocol messages: what an inlet session and an outlet session exchange.
 * Hand-written binary, first byte = type. Every decode is bounds-checked and throws
 * InvalidInputError (origin `portal`) on anything malformed.
 *
 * | type | name       | layout after the type byte                                  |
 * |------|------------|-------------------------------------------------------------|
 * | 1    | ping       | version u8, window u32be, id length u8, id bytes (0..64)     |
 * | 2    | pong       | version u8, window u32be                                     |
 * | 3    | payload    | sequence u32be, data bytes (1..MAX_PAYLOAD_CHUNK)            |
 * | 4    | credit     | amount u32be (> 0)                                           |
 * | 5    | end        | (nothing)                                                    |
 * | 6    | disconnect | reason u8 (1..255; absent = 0, unspecified)                  |
 * | 7    | ack        | amount u32be (> 0): bytes of acknowledged payloads received  |
 * | 8    | probe      | (nothing): asks the peer for its `state`                     |
 * | 9    | state      | received u32be, granted u32be, acked u32be, flags u8         |
 * | 10   | grant      | ack u32be, credit u32be (not both 0): an ack and a credit in one |
 */

/** Protocol version carried by ping and pong (2: ack, probe and state; 3: grant). */
export const PORTAL_PROTOCOL_VERSION = 3;

/**
 * Largest data chunk in one payload message (128 KiB; reads queued while waiting for
 * credit are joined up to it). Even with the longest routes (32 hops of 255 bytes each
 * way) through three nested channels, a chunk and all headers stay under the
 * transport's default 256 KiB frame.
 */
export const MAX_PAYLOAD_CHUNK = 128 * 1024;

/**
 * Default credit window per direction and session (512 KiB, four full chunks). It is also
 * what a stalled reader can make a node hold per session, so the threat model's memory
 * bounds rest on it; 2 MiB saves 10-15% CPU per GB through a relay (docs/performance.md).
 */
export const DEFAULT_CREDIT_WINDOW = 512 * 1024;

/**
 * Payloads of at least this many bytes count against the sender's path budget and are
 * acknowledged (`ack`) by the receiver as soon as they arrive; smaller ones (interactive
 * traffic) are neither budgeted nor acknowledged.
 */
export const MIN_ACKED_PAYLOAD = 4096;

/** Largest window a peer may announce (16 MiB): bounds what a peer can make us send ahead. */
export const MAX_CREDIT_WINDOW = 16 * 1024 * 1024;

/** Longest session id a ping may carry, in bytes. */
export const MAX_SESSION_ID_LENGTH = 64;

/** Message type bytes. */
export const PING = 1;
export const PONG = 2;
export const PAYLOAD = 3;
export const CREDIT = 4;
export const END = 5;
export const DISCONNECT = 6;
export const ACK = 7;
export const PROBE = 8;
export const STATE = 9;
export const GRANT = 10;

/** `state` flag: the sender of the state has received `end`. */
export const STATE_PEER_ENDED = 1;

/** Why a session was aborted. Codes only: a peer never learns more than this. */
export const DisconnectReason = {
  unspecified: 0,
  /** The outlet could not connect to its target (refused, unreachable, or no connection within its connect timeout). */
  connectFailed: 1,
  /** A step (connect, pong) did not complete in time. */
  timeout: 2,
  /** The inlet refused the outlet side (its policy on the outlet's identity). */
  refused: 3,
  /** The peer broke the protocol (exceeded its credit, unexpected message). */
  protocolError: 4,
  /** The local TCP connection failed or was reset. */
  connectionLost: 5,
  /** The inlet or outlet is shutting down. */
  shutdown: 6,
  /** The peer speaks a protocol version this side does not. */
  unsupportedVersion: 7,
  /** The outlet's access control (its policy, or a revocation) refused the ping. Says nothing about the policy itself. */
  deniedByPolicy: 8,
  /** The outlet holds as many sessions as it may: for this peer (per-peer cap) or in total. */
  atCapacity: 9,
} as const;

/** A disconnect reason code (0..255; unknown codes decode as-is). */
export type DisconnectReasonCode = number;

/** A decoded portal message. */
export type PortalMessage =
  | { readonly type: 'ping'; readonly version: number; readonly window: number; readonly sessionId?: Uint8Array }
  | { readonly type: 'pong'; readonly version: number; readonly window: number }
  /** `sequence` counts payloads per direction from 0 (mod 2^32): a lost or reordered chunk is detected, never passed on. */
  | { readonly type: 'payload'; readonly sequence: number; readonly data: Uint8Array }
  | { readonly type: 'credit'; readonly amount: number }
  | { readonly type: 'end' }
  | { readonly type: 'disconnect'; readonly reason: DisconnectReasonCode }
  /** `amount` bytes of payloads of at least MIN_ACKED_PAYLOAD bytes arrived (not yet written: credit says that). */
  | { readonly type: 'ack'; readonly amount: number }
  /** `ack` and `credit` in one message (either may be 0, not both): what a receiver sends per chunk. */
  | { readonly type: 'grant'; readonly ack: number; readonly credit: number }
  /** Asks for a `state` answer; sent by a side that waits for progress. */
  | { readonly type: 'probe' }
  /**
   * The answer to `probe`, describing everything the sender of `state` has received and
   * sent before it: `received` = payloads received (the next expected sequence), `granted`
   * and `acked` = credit and ack bytes sent in total (mod 2^32), `ended` = `end` received.
   */
  | { readonly type: 'state'; readonly received: number; readonly granted: number; readonly acked: number; readonly ended: boolean };

function checkWindow(window: number, what: string): void {
  if (!Number.isInteger(window) || window < 1 || window > MAX_CREDIT_WINDOW) {
    throw new InvalidInputError('portal', `${what} must be 1..${MAX_CREDIT_WINDOW} bytes`);
  }
}

/** Encodes a portal message. Throws InvalidInputError on out-of-range fields. */
export function encodePortalMessage(message: PortalMessage): Uint8Array {
  switch (message.type) {
    case 'ping': {
      checkWindow(message.window, 'ping window');
      const id = message.sessionId ?? new Uint8Array(0);
      if (id.length > MAX_SESSION_ID_LENGTH) throw new InvalidInputError('portal', `session id must be at most ${MAX_SESSION_ID_LENGTH} bytes`);
      const out = Buffer.allocUnsafe(7 + id.length);
      out[0] = PING;
      out[1] = message.version & 0xff;
      out.writeUInt32BE(message.window, 2);
      out[6] = id.length;
      out.set(id, 7);
      return out;
    }
    case 'pong': {
      checkWindow(message.window, 'pong window');
      const out = Buffer.allocUnsafe(6);
      out[0] = PONG;
      out[1] = message.version & 0xff;
      out.writeUInt32BE(message.window, 2);
      return out;
    }
    case 'payload':
      return encodePayload(message.sequence, message.data);
    case 'credit':
      return encodeCredit(message.amount);
    case 'ack':
      return encodeAck(message.amount);
    case 'grant':
      return encodeGrant(message.ack, message.credit);
    case 'probe':
      return Uint8Array.of(PROBE);
    case 'state': {
      const out = Buffer.allocUnsafe(14);
      out[0] = STATE;
      out.writeUInt32BE(message.received >>> 0, 1);
      out.writeUInt32BE(message.granted >>> 0, 5);
      out.writeUInt32BE(message.acked >>> 0, 9);
      out[13] = message.ended ? STATE_PEER_ENDED : 0;
      return out;
    }
    case 'end':
      return Uint8Array.of(END);
    case 'disconnect':
      if (!Number.isInteger(message.reason) || message.reason < 0 || message.reason > 255) {
        throw new InvalidInputError('portal', 'disconnect reason must be 0..255');
      }
      return message.reason === DisconnectReason.unspecified ? Uint8Array.of(DISCONNECT) : Uint8Array.of(DISCONNECT, message.reason);
  }
}

/** Encodes a payload message (hot path: one allocation, one copy). */
export function encodePayload(sequence: number, data: Uint8Array): Uint8Array {
  return encodePayloadParts(sequence, [data], data.length);
}

/**
 * Encodes a payload message whose data is the first `length` bytes of `parts` joined
 * (hot path: one allocation, one copy, however many parts). Throws InvalidInputError when
 * `length` is out of 1..MAX_PAYLOAD_CHUNK or the parts hold fewer bytes.
 */
export function encodePayloadParts(sequence: number, parts: readonly Uint8Array[], length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 1 || length > MAX_PAYLOAD_CHUNK) {
    throw new InvalidInputError('portal', `payload chunk must be 1..${MAX_PAYLOAD_CHUNK} bytes`);
  }
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) {
    throw new InvalidInputError('portal', 'payload sequence must be 0..2^32-1');
  }
  const out = Buffer.allocUnsafe(5 + length);
  out[0] = PAYLOAD;
  out.writeUInt32BE(sequence, 1);
  let at = 5;
  for (const part of parts) {
    const take = Math.min(part.length, out.length - at);
    out.set(take === part.length ? part : part.subarray(0, take), at);
    at += take;
    if (at === out.length) break;
  }
  if (at !== out.length) throw new InvalidInputError('portal', 'payload parts are shorter than the chunk length');
  return out;
}

/** Encodes a credit grant of `amount` bytes. */
export function encodeCredit(amount: number): Uint8Array {
  if (!Number.isInteger(amount) || amount < 1 || amount > 0xffffffff) {
    throw new InvalidInputError('portal', 'credit amount must be 1..2^32-1');
  }
  const out = Buffer.allocUnsafe(5);
  out[0] = CREDIT;
  out.writeUInt32BE(amount, 1);
  return out;
}

/** Encodes an ack of `amount` bytes. */
export function encodeAck(amount: number): Uint8Array {
  if (!Number.isInteger(amount) || amount < 1 || amount > 0xffffffff) {
    throw new InvalidInputError('portal', 'ack amount must be 1..2^32-1');
  }
  const out = Buffer.allocUnsafe(5);
  out[0] = ACK;
  out.writeUInt32BE(amount, 1);
  return out;
}

/** Encodes a grant: `ack` and `credit` bytes (each 0..2^32-1, not both 0). */
export function encodeGrant(ack: number, credit: number): Uint8Array {
  const valid = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
  if (!valid(ack) || !valid(credit) || ack + credit === 0) {
    throw new InvalidInputError('portal', 'grant amounts must be 0..2^32-1 and not both 0');
  }
  const out = Buffer.allocUnsafe(9);
  out[0] = GRANT;
  out.writeUInt32BE(ack, 1);
  out.writeUInt32BE(credit, 5);
  return out;
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}

function expectLength(bytes: Uint8Array, length: number, name: string): void {
  if (bytes.length !== length) throw new InvalidInputError('portal', `${name} message must be ${length} bytes, got ${bytes.length}`);
}

/**
 * Decodes a portal message. Payload data is a view into `bytes` (no copy).
 * Throws InvalidInputError (origin `portal`) on any malformed input.
 */
export function decodePortalMessage(bytes: Uint8Array): PortalMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new InvalidInputError('portal', 'empty portal message');
  switch (bytes[0]) {
    case PING: {
      if (bytes.length < 7) throw new InvalidInputError('portal', 'ping message is truncated');
      const window = u32(bytes, 2);
      checkWindow(window, 'ping window');
      const idLength = bytes[6]!;
      if (idLength > MAX_SESSION_ID_LENGTH) throw new InvalidInputError('portal', 'ping session id is too long');
      expectLength(bytes, 7 + idLength, 'ping');
      const base = { type: 'ping' as const, version: bytes[1]!, window };
      return idLength === 0 ? base : { ...base, sessionId: bytes.slice(7) };
    }
    case PONG: {
      expectLength(bytes, 6, 'pong');
      const window = u32(bytes, 2);
      checkWindow(window, 'pong window');
      return { type: 'pong', version: bytes[1]!, window };
    }
    case PAYLOAD:
      if (bytes.length < 6 || bytes.length > 5 + MAX_PAYLOAD_CHUNK) {
        throw new InvalidInputError('portal', `payload chunk must be 1..${MAX_PAYLOAD_CHUNK} bytes`);
      }
      return { type: 'payload', sequence: u32(bytes, 1), data: bytes.subarray(5) };
    case CREDIT: {
      expectLength(bytes, 5, 'credit');
      const amount = u32(bytes, 1);
      if (amount === 0) throw new InvalidInputError('portal', 'credit amount must be positive');
      return { type: 'credit', amount };
    }
    case ACK: {
      expectLength(bytes, 5, 'ack');
      const amount = u32(bytes, 1);
      if (amount === 0) throw new InvalidInputError('portal', 'ack amount must be positive');
      return { type: 'ack', amount };
    }
    case GRANT: {
      expectLength(bytes, 9, 'grant');
      const ack = u32(bytes, 1);
      const credit = u32(bytes, 5);
      if (ack + credit === 0) throw new InvalidInputError('portal', 'grant must carry an ack or a credit');
      return { type: 'grant', ack, credit };
    }
    case PROBE:
      expectLength(bytes, 1, 'probe');
      return { type: 'probe' };
    case STATE:
      expectLength(bytes, 14, 'state');
      if ((bytes[13]! & ~STATE_PEER_ENDED) !== 0) throw new InvalidInputError('portal', 'state flags has unknown bits');
      return { type: 'state', received: u32(bytes, 1), granted: u32(bytes, 5), acked: u32(bytes, 9), ended: bytes[13] === STATE_PEER_ENDED };
    case END:
      expectLength(bytes, 1, 'end');
      return { type: 'end' };
    case DISCONNECT:
      if (bytes.length > 2) throw new InvalidInputError('portal', 'disconnect message is too long');
      if (bytes.length === 2 && bytes[1] === DisconnectReason.unspecified) {
        throw new InvalidInputError('portal', 'disconnect reason 0 must be omitted');
      }
      return { type: 'disconnect', reason: bytes.length === 2 ? bytes[1]! : DisconnectReason.unspecified };
    default:
      throw new InvalidInputError('portal', `unknown portal message type ${bytes[0]}`);
  }
}
