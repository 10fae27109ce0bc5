import { isIPv4, isIPv6 } from 'node:net';
import { InvalidInputError } from '../errors.js';
import type { ErrorOrigin } from '../errors.js';

/** A TCP endpoint split into the parts `net` wants (IPv6 hosts without brackets). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Options of {@link parseHostPort}. */
export interface HostPortOptions {
  /** What the value is, for the error message (`'inlet address'`, `'--to'`). Default `'address'`. */
  readonly what?: string;
  /** Accept port 0 (a listener that picks a free port). Default false: ports 1..65535. */
  readonly allowZero?: boolean;
  /** Origin of the InvalidInputError. Default `transport`. */
  readonly origin?: ErrorOrigin;
}

/** Longest host name (RFC 1035: 253 characters without the trailing dot). */
const MAX_HOST_NAME = 253;
/** Dot-separated labels of letters, digits, `-` and `_` (container names), no label starting or ending with `-`. */
const HOST_NAME = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$/;
const PORT = /^\d{1,5}$/;
const BRACKETED = /^\[([^\]]*)\]:([^:]*)$/;

/**
 * Parses the one `HOST:PORT` grammar every part of the product accepts:
 * - `HOST` is an IPv4 address (`127.0.0.1`), a host name (`localhost`, `db.example`,
 *   `my_service`; labels of letters, digits, `-`, `_`, at most 253 characters), or an IPv6
 *   address in brackets (`[::1]`, `[fe80::1%eth0]`); the brackets are removed;
 * - `PORT` is a decimal number from 1 to 65535 (0 as well with `allowZero`).
 * Throws InvalidInputError naming `what`, the value and what is wrong with it.
 */
export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort {
  const fail = (reason: string): never => {
    throw new InvalidInputError(options.origin ?? 'transport', `${options.what ?? 'address'} must be HOST:PORT (${reason}), got '${String(text)}'`);
  };
  if (typeof text !== 'string' || text.length === 0) return fail('empty');
  let host: string;
  let portText: string;
  const bracketed = BRACKETED.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (!isIPv6(host)) fail(`'${host}' in brackets is not an IPv6 address`);
  } else if (text.startsWith('[')) {
    return fail('an IPv6 address in brackets is followed by :PORT, e.g. [::1]:4000');
  } else {
    const cut = text.lastIndexOf(':');
    if (cut < 0) return fail('no port');
    host = text.slice(0, cut);
    portText = text.slice(cut + 1);
    if (host.length === 0) fail('no host');
    if (host.includes(':')) fail(isIPv6(host) ? `an IPv6 address needs brackets: [${host}]:${portText}` : 'more than one colon');
    if (/^[\d.]+$/.test(host)) {
      if (!isIPv4(host)) fail(`'${host}' is not an IPv4 address`);
    } else if (host.length > MAX_HOST_NAME || !HOST_NAME.test(host)) {
      fail(`'${host}' is not a host name`);
    }
  }
  if (!PORT.test(portText)) return fail(portText.length === 0 ? 'no port' : `'${portText}' is not a port number`);
  const port = Number(portText);
  if (port > 65535 || (port === 0 && options.allowZero !== true)) fail(`port must be ${options.allowZero === true ? 0 : 1}..65535`);
  return { host, port };
}

/** Formats a host and port as `HOST:PORT`, bracketing IPv6 hosts; the inverse of {@link parseHostPort}. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
