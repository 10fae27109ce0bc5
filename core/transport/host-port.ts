import { isIPv6 } from 'node:net';
import { InvalidInputError } from '../errors.js';

/** A TCP endpoint split into the parts `net` wants. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port`, `[v6]:port` (port 0..65535). Throws InvalidInputError (origin transport). */
export function parseHostPort(text: string): HostPort {
  const cut = typeof text === 'string' ? text.lastIndexOf(':') : -1;
  let host = cut > 0 ? text.slice(0, cut) : '';
  const portText = cut > 0 ? text.slice(cut + 1) : '';
  if (host.startsWith('[') && host.endsWith(']')) host = isIPv6(host.slice(1, -1)) ? host.slice(1, -1) : '';
  if (host.length === 0 || /[[\]\s]/.test(host) || !/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new InvalidInputError('transport', `expected HOST:PORT, got '${String(text)}'`);
  }
  return { host, port: Number(portText) };
}

/** Formats a host and port as `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
