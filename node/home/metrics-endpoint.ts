import { isIP } from 'node:net';
import { InvalidInputError } from '../../core/errors.js';
import { parseHostPort } from '../../core/transport/host-port.js';
import { isObject } from './json-file.js';

/**
 * A node's metrics and health endpoint (`--metrics HOST:PORT`), as persisted in its
 * configuration: the address it listens on (port 0 picks a free port at each start) and
 * whether a non-loopback address was acknowledged (`--metrics-allow-remote`).
 */
export interface MetricsEndpoint {
  readonly listen: string;
  /** True when the operator accepted an address other than loopback (the endpoint has no authentication). */
  readonly allowRemote?: boolean;
}

/** True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const version = isIP(host);
  if (version === 4) return host.startsWith('127.');
  if (version === 6) return host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host);
  return false;
}

/**
 * Checks a metrics endpoint: `listen` is HOST:PORT, and a host other than loopback needs
 * `allowRemote` (the endpoint answers anyone who reaches it: portal addresses, relay names
 * and traffic volumes are no secret, but no business of the network either). Returns it
 * in its stored form.
 */
export function validateMetricsEndpoint(listen: string, { allowRemote = false }: { allowRemote?: boolean } = {}): MetricsEndpoint {
  let host: string;
  try {
    host = parseHostPort(listen, { allowZero: true }).host;
  } catch (err) {
    throw new InvalidInputError('cli', `invalid metrics address '${listen}': use HOST:PORT, e.g. 127.0.0.1:9464 (${(err as Error).message})`, { cause: err });
  }
  if (!isLoopbackHost(host) && !allowRemote) {
    throw new InvalidInputError('cli', `metrics address '${listen}' is not loopback: the endpoint has no authentication, so serving it beyond this machine needs --metrics-allow-remote (metrics-allow-remote: true in a run file)`);
  }
  return { listen, ...(allowRemote && !isLoopbackHost(host) ? { allowRemote: true } : {}) };
}

/** Reads a persisted metrics endpoint; undefined when absent, InvalidInputError when malformed. */
export function readMetricsEndpoint(value: unknown): MetricsEndpoint | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.listen !== 'string' || (value.allowRemote !== undefined && typeof value.allowRemote !== 'boolean')) {
    throw new InvalidInputError('cli', 'the node configuration key "metrics" is malformed');
  }
  return validateMetricsEndpoint(value.listen, { allowRemote: value.allowRemote === true });
}

/** True when two endpoints (either may be absent) are the same. */
export function sameMetricsEndpoint(a: MetricsEndpoint | undefined, b: MetricsEndpoint | undefined): boolean {
  return a?.listen === b?.listen && (a?.allowRemote ?? false) === (b?.allowRemote ?? false);
}
