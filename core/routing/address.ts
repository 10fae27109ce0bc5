import { InvalidInputError } from '../errors.js';

/** Address types on the wire: 0 local worker, 1 TCP endpoint `host:port`. */
export const LOCAL = 0;
export const TCP = 1;
export type AddressType = typeof LOCAL | typeof TCP;

/** One hop of a route. `value` is a worker name (local) or `host:port` (tcp). */
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

/** True when both name the same hop. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.type === b.type && a.value === b.value;
}

/** `0#echo`, `1#127.0.0.1:4000`: a compact, unambiguous form for logs. */
export function addressToString(a: Address): string {
  return `${a.type}#${a.value}`;
}
