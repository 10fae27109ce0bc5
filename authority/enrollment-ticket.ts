import { decodeStrict, encodeDeterministic } from '../core/cbor.js';
import { InvalidInputError, UnsupportedError } from '../core/errors.js';
import { TICKET_CODE_LENGTH } from './ticket-code.js';

/** Version of the printable ticket format this code writes and reads. */
export const ENROLLMENT_TICKET_VERSION = 1;
/** Prefix of a printable version-1 ticket. */
export const ENROLLMENT_TICKET_PREFIX = 'symbolon-ticket-v1:';
const MAX_LINE = 64 * 1024;
const KEYS = ['authority', 'code', 'expiresAt', 'project', 'route', 'version'];
/** Keys a ticket may carry besides KEYS: the project's WebSocket and UDP routes, the routes of all its replicas. */
const OPTIONAL_KEYS = ['routes', 'udpRoute', 'wsRoute'];
/** Most replica routes a ticket carries. */
const MAX_ROUTES = 32;

/** What an enrollee needs to reach the authority and redeem a ticket. */
export interface EnrollmentTicket {
  /** The project's name. */
  readonly projectName: string;
  /** Route to the project node, e.g. `/ip4/127.0.0.1/tcp/4000`. */
  readonly projectRoute: string;
  /** Route to the project node over WebSocket (e.g. through an HTTPS proxy), when it has one: `/dns/proxy.example/tcp/443/wss/path/bank`. */
  readonly projectWsRoute?: string;
  /** Route to the project node over UDP, when it has a UDP listener: `/ip4/203.0.113.7/udp/4000`. */
  readonly projectUdpRoute?: string;
  /** Routes of all the project's replicas (the issuing one first), when it has several: a member reconnects to another on the loss of one. */
  readonly projectRoutes?: readonly string[];
  /** The authority's identity change history (encoded), so the enrollee can authenticate it. */
  readonly authorityChangeHistory: Uint8Array;
  /** The one-time code (32 bytes). A secret: print it only to the person it is meant for. */
  readonly code: Uint8Array;
  /** Expiry, milliseconds since the Unix epoch. */
  readonly expiresAt: number;
}

function invalid(message: string): InvalidInputError {
  return new InvalidInputError('authority', `enrollment ticket: ${message}`);
}

/** Encodes a ticket as one printable line: the prefix and base64url of deterministic CBOR. */
export function encodeEnrollmentTicket(ticket: EnrollmentTicket): string {
  check(ticket);
  const body = encodeDeterministic({
    version: ENROLLMENT_TICKET_VERSION,
    project: ticket.projectName,
    route: ticket.projectRoute,
    authority: ticket.authorityChangeHistory,
    code: ticket.code,
    expiresAt: ticket.expiresAt,
    ...(ticket.projectWsRoute === undefined ? {} : { wsRoute: ticket.projectWsRoute }),
    ...(ticket.projectUdpRoute === undefined ? {} : { udpRoute: ticket.projectUdpRoute }),
    ...(ticket.projectRoutes === undefined ? {} : { routes: [...ticket.projectRoutes] }),
  });
  return ENROLLMENT_TICKET_PREFIX + Buffer.from(body).toString('base64url');
}

/**
 * Decodes a printable ticket (surrounding whitespace is ignored). Throws
 * InvalidInputError for malformed or truncated input and UnsupportedError for another
 * format version.
 */
export function decodeEnrollmentTicket(text: string): EnrollmentTicket {
  if (typeof text !== 'string') throw invalid('must be text');
  const line = text.trim();
  if (line.length === 0) throw invalid('empty input');
  if (line.length > MAX_LINE) throw invalid('too long');
  if (!line.startsWith(ENROLLMENT_TICKET_PREFIX)) {
    const other = /^symbolon-ticket-v(\d+):/.exec(line);
    if (other) throw new UnsupportedError('authority', `enrollment ticket: version ${other[1]} is not supported (this version reads v${ENROLLMENT_TICKET_VERSION})`);
    throw invalid(`does not start with "${ENROLLMENT_TICKET_PREFIX}"`);
  }
  const payload = line.slice(ENROLLMENT_TICKET_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(payload) || payload.length % 4 === 1) throw invalid('body is not base64url (truncated or damaged?)');
  const bytes = new Uint8Array(Buffer.from(payload, 'base64url'));
  const value = decodeStrict<Record<string, unknown>>(bytes, 'authority', 'enrollment ticket (truncated or damaged?)');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('body is not a map');
  if (value.version !== ENROLLMENT_TICKET_VERSION) {
    throw new UnsupportedError('authority', `enrollment ticket: version ${String(value.version)} is not supported`);
  }
  const keys = Object.keys(value).sort();
  if (keys.filter((k) => !OPTIONAL_KEYS.includes(k)).join(',') !== KEYS.join(',')) throw invalid(`unexpected fields (${keys.join(', ')})`);
  const ticket: EnrollmentTicket = {
    projectName: value.project as string,
    projectRoute: value.route as string,
    authorityChangeHistory: value.authority as Uint8Array,
    code: value.code as Uint8Array,
    expiresAt: value.expiresAt as number,
    ...(value.wsRoute === undefined ? {} : { projectWsRoute: value.wsRoute as string }),
    ...(value.udpRoute === undefined ? {} : { projectUdpRoute: value.udpRoute as string }),
    ...(value.routes === undefined ? {} : { projectRoutes: value.routes as string[] }),
  };
  check(ticket);
  if (Buffer.compare(Buffer.from(encodeDeterministic(value)), Buffer.from(bytes)) !== 0) throw invalid('body is not in canonical form');
  return ticket;
}

function check(t: EnrollmentTicket): void {
  if (typeof t.projectName !== 'string' || t.projectName.length === 0 || t.projectName.length > 256) throw invalid('project name must be 1-256 characters');
  if (typeof t.projectRoute !== 'string' || t.projectRoute.length === 0 || t.projectRoute.length > 1024) throw invalid('project route must be 1-1024 characters');
  if (t.projectWsRoute !== undefined && (typeof t.projectWsRoute !== 'string' || t.projectWsRoute.length === 0 || t.projectWsRoute.length > 1024)) throw invalid('project WebSocket route must be 1-1024 characters');
  if (t.projectUdpRoute !== undefined && (typeof t.projectUdpRoute !== 'string' || t.projectUdpRoute.length === 0 || t.projectUdpRoute.length > 1024)) throw invalid('project UDP route must be 1-1024 characters');
  if (t.projectRoutes !== undefined && (!Array.isArray(t.projectRoutes) || t.projectRoutes.length === 0 || t.projectRoutes.length > MAX_ROUTES
    || t.projectRoutes.some((r) => typeof r !== 'string' || r.length === 0 || r.length > 1024))) throw invalid(`replica routes must be 1-${MAX_ROUTES} routes of 1-1024 characters`);
  if (!(t.authorityChangeHistory instanceof Uint8Array) || t.authorityChangeHistory.length === 0) throw invalid('authority identity must be non-empty bytes');
  if (!(t.code instanceof Uint8Array) || t.code.length !== TICKET_CODE_LENGTH) throw invalid(`code must be ${TICKET_CODE_LENGTH} bytes`);
  if (!Number.isSafeInteger(t.expiresAt) || t.expiresAt < 0) throw invalid('expiry must be a non-negative integer of milliseconds');
}
