import { isIPv4 } from 'node:net';
import { InvalidInputError } from '../../core/errors.js';
import { parseHostPort } from '../../core/transport/host-port.js';
import { checkDatabaseUrl } from '../../authority/replica-database.js';
import { isObject } from './json-file.js';
import { validateListenerAddress } from './node-config.js';

/** The node configuration section that makes a node a project node (runs the authority). */
export const AUTHORITY_SECTION = 'authority';

/** Worker address of the project node's secure channel listener. */
export const PROJECT_LISTENER_ADDRESS = 'api';

/** The `authority` section of a project node's configuration. */
export interface AuthoritySection {
  /** The project's name. */
  readonly project: string;
  /** Route text enrollees use to reach the project node, e.g. `/ip4/127.0.0.1/tcp/4000`. */
  readonly route: string;
  /** Route text enrollees may use instead to reach the project node over WebSocket (tickets carry it). */
  readonly wsRoute?: string;
  /** Route text enrollees may use instead to reach the project node over UDP (tickets carry it). */
  readonly udpRoute?: string;
  /** Identifier of the project's first admin (the creator). */
  readonly admin: string;
  /** `postgres://...` (never with a password) when the state lives in Postgres; absent for SQLite in the node folder. */
  readonly database?: string;
  /** A 0600 file holding the database password (else `PGPASSWORD` or a libpq passfile). */
  readonly databasePasswordFile?: string;
  /** This node's id among the project's replicas (default: the node's name). */
  readonly replica?: string;
}

/** Reads and checks an `authority` section; undefined when the node is not a project node. */
export function readAuthoritySection(value: unknown): AuthoritySection | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value) || typeof value.project !== 'string' || typeof value.route !== 'string' || typeof value.admin !== 'string'
    || (value.database !== undefined && typeof value.database !== 'string') || (value.wsRoute !== undefined && typeof value.wsRoute !== 'string')
    || (value.udpRoute !== undefined && typeof value.udpRoute !== 'string')
    || (value.databasePasswordFile !== undefined && typeof value.databasePasswordFile !== 'string') || (value.replica !== undefined && typeof value.replica !== 'string')) {
    throw new InvalidInputError('cli', 'the node configuration section "authority" is malformed');
  }
  return {
    project: value.project, route: value.route, admin: value.admin,
    ...(typeof value.wsRoute === 'string' ? { wsRoute: value.wsRoute } : {}),
    ...(typeof value.udpRoute === 'string' ? { udpRoute: value.udpRoute } : {}),
    ...(typeof value.database === 'string' ? { database: value.database } : {}),
    ...(typeof value.databasePasswordFile === 'string' ? { databasePasswordFile: value.databasePasswordFile } : {}),
    ...(typeof value.replica === 'string' ? { replica: value.replica } : {}),
  };
}

/**
 * Checks a `--database` URL: only `postgres://` and `postgresql://` are accepted, and never
 * with a password (it comes from `PGPASSWORD`, a libpq passfile or `--database-password-file`).
 */
export function validateDatabaseUrl(url: string): string {
  if (!/^postgres(ql)?:\/\/\S+$/.test(url)) throw new InvalidInputError('cli', `--database must be a postgres://... URL`);
  try {
    return checkDatabaseUrl(url);
  } catch (error) {
    throw new InvalidInputError('cli', `--database: ${(error as Error).message}`);
  }
}

/**
 * The route text peers use to reach a listener given as HOST:PORT: `/ip4/A.B.C.D/tcp/PORT`,
 * `/ip6/ADDR/tcp/PORT` for `[ADDR]:PORT`, else `/dns/HOST/tcp/PORT`. A wildcard host
 * (0.0.0.0, ::) is replaced by loopback, since nobody can dial it.
 */
export function routeForListener(hostPort: string): string {
  validateListenerAddress(hostPort);
  const { host, port } = parseHostPort(hostPort, { allowZero: true });
  if (host.includes(':')) return `/ip6/${host === '::' ? '::1' : host}/tcp/${port}`;
  if (host === '0.0.0.0') return `/ip4/127.0.0.1/tcp/${port}`;
  if (isIPv4(host)) return `/ip4/${host}/tcp/${port}`;
  return `/dns/${host}/tcp/${port}`;
}

/**
 * The route text peers use to reach a WebSocket listener given as HOST:PORT: the route of
 * {@link routeForListener} followed by `/ws` (`/ip4/127.0.0.1/tcp/4080/ws`).
 */
export function routeForWsListener(hostPort: string): string {
  return `${routeForListener(hostPort)}/ws`;
}

/**
 * The route text peers use to reach a UDP listener given as IP:PORT: the route of
 * {@link routeForListener} with `/udp/` for `/tcp/` (`/ip4/127.0.0.1/udp/4000`).
 */
export function routeForUdpListener(hostPort: string): string {
  return routeForListener(hostPort).replace(/\/tcp\/(\d+)$/, '/udp/$1');
}
