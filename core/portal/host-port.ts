import { InvalidInputError } from '../errors.js';

/** A parsed `HOST:PORT` (IPv6 hosts without brackets). */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `[IPV6]:PORT`; port 0..65535 (`allowZero` for listeners).
 * Throws InvalidInputError (origin `portal`) naming the bad value.
 */
export function parseHostPort(text: string, what: string, allowZero = false): HostPort {
  const m = typeof text === 'string' ? /^(\[[0-9A-Fa-f:.]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(text) : null;
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535 || (port === 0 && !allowZero)) {
    throw new InvalidInputError('portal', `${what} must be HOST:PORT, got '${String(text)}'`);
  }
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port };
}

/** Formats a host and port as `HOST:PORT` (brackets around IPv6). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
