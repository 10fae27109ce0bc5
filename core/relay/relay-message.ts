import { InvalidInputError } from '../errors.js';

/**
 * Relay service requests and replies. Hand-written binary, first byte = type:
 *
 * | type | name    | layout after the type byte        |
 * |------|---------|-----------------------------------|
 * | 1    | create  | name length u8, name (UTF-8)       |
 * | 2    | delete  | name length u8, name (UTF-8)       |
 * | 3    | created | (nothing)                          |
 * | 4    | deleted | (nothing)                          |
 * | 5    | refused | (nothing: a peer never learns why) |
 * | 6    | unknown | name length u8, name (UTF-8)       |
 * | 7    | held    | (nothing)                          |
 *
 * `create` both registers and refreshes (keep-alive) a relay. `unknown` ("no such
 * relay") is the project node's answer to a message sent to `forward_to_NAME` when no live
 * relay NAME exists, sent only to a sender that would be allowed to send through NAME.
 * `held` answers a `create` from a peer that may create the name while another peer holds
 * it (a takeover attempt): only a peer the relay policy allows learns that the name is taken.
 */
export type RelayMessage =
  | { readonly type: 'create'; readonly name: string }
  | { readonly type: 'delete'; readonly name: string }
  | { readonly type: 'created' }
  | { readonly type: 'deleted' }
  | { readonly type: 'refused' }
  | { readonly type: 'unknown'; readonly name: string }
  | { readonly type: 'held' };

const CREATE = 1;
const DELETE = 2;
const CREATED = 3;
const DELETED = 4;
const REFUSED = 5;
const UNKNOWN = 6;
const HELD = 7;

/** Longest relay name, in characters. */
export const MAX_RELAY_NAME_LENGTH = 64;

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Worker address prefix of relays: the relay `db` lives at `forward_to_db`. */
export const RELAY_ADDRESS_PREFIX = 'forward_to_';

/** True for a valid relay name: 1..64 of `A-Z a-z 0-9 _ . -`, starting with a letter or digit. */
export function isRelayName(name: unknown): name is string {
  return typeof name === 'string' && name.length >= 1 && name.length <= MAX_RELAY_NAME_LENGTH && NAME_RE.test(name);
}

/** Throws InvalidInputError (origin `relay`) unless `name` is a valid relay name. */
export function assertRelayName(name: unknown): asserts name is string {
  if (!isRelayName(name)) {
    throw new InvalidInputError('relay', `relay name must be 1..${MAX_RELAY_NAME_LENGTH} of A-Z a-z 0-9 _ . - starting with a letter or digit`);
  }
}

/** The worker address of the relay called `name` on the project node. */
export function relayAddress(name: string): string {
  assertRelayName(name);
  return RELAY_ADDRESS_PREFIX + name;
}

/** Encodes a relay message. Throws InvalidInputError on a bad name. */
export function encodeRelayMessage(message: RelayMessage): Uint8Array {
  switch (message.type) {
    case 'create':
    case 'delete':
    case 'unknown': {
      assertRelayName(message.name);
      const name = Buffer.from(message.name, 'utf8');
      const out = Buffer.allocUnsafe(2 + name.length);
      out[0] = message.type === 'create' ? CREATE : message.type === 'delete' ? DELETE : UNKNOWN;
      out[1] = name.length;
      out.set(name, 2);
      return out;
    }
    case 'created': return Uint8Array.of(CREATED);
    case 'deleted': return Uint8Array.of(DELETED);
    case 'refused': return Uint8Array.of(REFUSED);
    case 'held': return Uint8Array.of(HELD);
  }
}

/** Decodes a relay message; throws InvalidInputError (origin `relay`) on malformed input. */
export function decodeRelayMessage(bytes: Uint8Array): RelayMessage {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw new InvalidInputError('relay', 'empty relay message');
  const type = bytes[0];
  if (type === CREATE || type === DELETE || type === UNKNOWN) {
    if (bytes.length < 2 || bytes.length !== 2 + bytes[1]!) throw new InvalidInputError('relay', 'relay request has a bad length');
    let name: string;
    try {
      name = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(2));
    } catch (cause) {
      throw new InvalidInputError('relay', 'relay name is not UTF-8', { cause });
    }
    assertRelayName(name);
    return { type: type === CREATE ? 'create' : type === DELETE ? 'delete' : 'unknown', name };
  }
  if (bytes.length !== 1) throw new InvalidInputError('relay', 'relay reply has a bad length');
  if (type === CREATED) return { type: 'created' };
  if (type === DELETED) return { type: 'deleted' };
  if (type === REFUSED) return { type: 'refused' };
  if (type === HELD) return { type: 'held' };
  throw new InvalidInputError('relay', `unknown relay message type ${type}`);
}
